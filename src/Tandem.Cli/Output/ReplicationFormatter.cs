using System.Globalization;
using System.Text;
using Tandem.Daemon.Status;
using Tandem.Replication;

namespace Tandem.Cli.Output;

/// <summary>
/// Formats the replication state of volumes for people, in the spirit of /proc/drbd: connection
/// (cs), roles (ro), disk states (ds), protocol and out-of-sync amount, and while a resync runs a
/// progress bar with the rate and the time to finish.
/// </summary>
public static class ReplicationFormatter
{
    private const int BarWidth = 20;

    /// <summary>Formats one entry of the <c>volumes</c> section of status (with its replication).</summary>
    /// <param name="volume">The entry.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string Format(VolumeStatus volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var name = volume.Name;
        var r = volume.Replication;
        if (r.State == ReplicaStatus.NotReplicated)
        {
            return $"{name}: not replicated (no peer host with an address): serves its local backing";
        }
        var state = r.State;
        if (state != "up")
        {
            var reason = r.Reason ?? volume.Reason;
            return reason is null ? $"{name}: {state}"
                : reason.StartsWith(state ?? "", StringComparison.Ordinal) ? $"{name}: {reason}"
                : $"{name}: {state}: {reason}";
        }
        var text = new StringBuilder();
        var i = CultureInfo.InvariantCulture;
        text.Append(i, $"{name}: cs:{Cs(r)} ro:{r.Role}/{r.PeerRole} ds:{r.Disk}/{r.PeerDisk} {r.Protocol}");
        if (r.WriteOrdering is { Length: > 0 } wo)
        {
            // /proc/drbd's write-ordering letter: f(lush) or d(rain).
            text.Append(i, $" wo:{wo[0]}");
        }
        text.Append(i, $" oos:{Kib(r.OutOfSyncBytes ?? 0)}");
        if (r.Verify is not null)
        {
            text.Append(" verify:running");
        }
        if (r.Sync is { } sync)
        {
            var filled = (int)Math.Clamp(Math.Round(sync.Percent / 100 * BarWidth), 0, BarWidth);
            var bar = new string('=', Math.Max(0, filled - 1)) + (filled > 0 ? ">" : "") + new string('.', BarWidth - filled);
            var eta = sync.EtaSeconds is { } seconds ? TimeSpan.FromSeconds(seconds).ToString(@"h\:mm\:ss", i) : "unknown";
            text.Append(i, $"\n    [{bar}] sync'ed: {sync.Percent:0.0}% ({Mib(sync.RemainingBytes)}/{Mib(sync.TotalBytes)} MiB left) finish: {eta} speed: {sync.BytesPerSecond / 1024:N0} KiB/s");
        }
        if (r.Uuids is { } uuids)
        {
            text.Append(i, $"\n    uuids: {uuids}");
        }
        return text.ToString();
    }

    /// <summary>One word for the connection, DRBD 8 style: StandAlone, Connecting (WFConnection), SyncSource, SyncTarget, Connected.</summary>
    private static string Cs(ReplicaStatus r) =>
        r.Connection != "Connected" ? r.Connection ?? "?"
        : r.Replication is "SyncSource" or "SyncTarget" or "WaitingForBitmap" ? r.Replication
        : "Connected";

    private static string Kib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024}KiB");

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
