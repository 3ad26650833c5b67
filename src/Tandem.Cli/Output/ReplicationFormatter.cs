using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Tandem.Cli.Output;

/// <summary>
/// Formats the replication state of volumes for people, in the spirit of /proc/drbd: connection
/// (cs), roles (ro), disk states (ds), protocol and out-of-sync amount, and while a resync runs a
/// progress bar with the rate and the time to finish.
/// </summary>
public static class ReplicationFormatter
{
    private const int BarWidth = 20;

    /// <summary>Formats one entry of the <c>volumes</c> section of status (with its <c>replication</c> object).</summary>
    /// <param name="volume">The entry.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string Format(JsonObject volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var name = (string?)volume["name"] ?? "?";
        if (volume["replication"] is not JsonObject r)
        {
            return $"{name}: not replicated (no peer host with an address): serves its local backing";
        }
        var state = (string?)r["state"];
        if (state != "up")
        {
            var reason = (string?)r["reason"] ?? (string?)volume["reason"];
            return reason is null ? $"{name}: {state}"
                : reason.StartsWith(state ?? "", StringComparison.Ordinal) ? $"{name}: {reason}"
                : $"{name}: {state}: {reason}";
        }
        var text = new StringBuilder();
        var i = CultureInfo.InvariantCulture;
        text.Append(i, $"{name}: cs:{Cs(r)} ro:{r["role"]}/{r["peerRole"]} ds:{r["disk"]}/{r["peerDisk"]} {r["protocol"]}");
        if ((string?)r["writeOrdering"] is { Length: > 0 } wo)
        {
            // /proc/drbd's write-ordering letter: f(lush) or d(rain).
            text.Append(i, $" wo:{wo[0]}");
        }
        text.Append(i, $" oos:{Kib(Long(r["outOfSyncBytes"]))}");
        if (r["verify"] is not null)
        {
            text.Append(" verify:running");
        }
        if (r["sync"] is JsonObject sync)
        {
            var percent = sync["percent"] is JsonValue p && p.TryGetValue<double>(out var pv) ? pv : 0;
            var total = Long(sync["totalBytes"]);
            var remaining = Long(sync["remainingBytes"]);
            var filled = (int)Math.Clamp(Math.Round(percent / 100 * BarWidth), 0, BarWidth);
            var bar = new string('=', Math.Max(0, filled - 1)) + (filled > 0 ? ">" : "") + new string('.', BarWidth - filled);
            var eta = sync["etaSeconds"] is JsonValue e && e.TryGetValue<long>(out var seconds)
                ? TimeSpan.FromSeconds(seconds).ToString(@"h\:mm\:ss", i)
                : "unknown";
            text.Append(i, $"\n    [{bar}] sync'ed: {percent:0.0}% ({Mib(remaining)}/{Mib(total)} MiB left) finish: {eta} speed: {Long(sync["bytesPerSecond"]) / 1024:N0} KiB/s");
        }
        if (r["uuids"] is { } uuids)
        {
            text.Append(i, $"\n    uuids: {uuids}");
        }
        return text.ToString();
    }

    /// <summary>One word for the connection, DRBD 8 style: StandAlone, Connecting (WFConnection), SyncSource, SyncTarget, Connected.</summary>
    private static string Cs(JsonObject r)
    {
        var connection = (string?)r["connection"];
        var replication = (string?)r["replication"];
        return connection != "Connected" ? connection ?? "?"
            : replication is "SyncSource" or "SyncTarget" or "WaitingForBitmap" ? replication
            : "Connected";
    }

    private static long Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : 0;

    private static string Kib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024}KiB");

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
