using Tandem.Cli.Output;
using Tandem.Daemon.Status;
using Tandem.Replication;
using Xunit;

namespace Tandem.IntegrationTests.Output;

/// <summary><c>tandem volume status</c> in the spirit of /proc/drbd, checked on status entries built in code.</summary>
public sealed class ReplicationFormatterTests
{
    private static VolumeStatus Volume(ReplicaStatus replication) =>
        new() { Name = "r0", Resource = "r0", Disk = "/dev/hda3", State = "exported", Replication = replication };

    [Fact]
    public void A_syncing_volume_shows_cs_ro_ds_protocol_oos_and_a_progress_bar_with_its_eta()
    {
        var volume = Volume(new ReplicaStatus
        {
            Resource = "r0", State = "up", Role = "Primary", PeerRole = "Secondary", Disk = "UpToDate", PeerDisk = "Inconsistent",
            Connection = "Connected", Replication = "SyncSource", Protocol = "C", WriteOrdering = "flush", Size = 16777216, OutOfSyncBytes = 3145728,
            Uuids = "4E085102E3227107:0000000000000004:0000000000000000:0000000000000000",
            Sync = new ResyncStatus("SyncSource", 4194304, 3145728, 25.0, 262144, 12),
        });
        var text = ReplicationFormatter.Format(volume);
        Assert.StartsWith("r0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C wo:f oos:3072KiB", text, StringComparison.Ordinal);
        Assert.Contains("[====>...............] sync'ed: 25.0% (3.0/4.0 MiB left) finish: 0:00:12 speed: 256 KiB/s", text, StringComparison.Ordinal);
        Assert.Contains("uuids: 4E085102E3227107:", text, StringComparison.Ordinal);
        Assert.Contains("replication Primary/Secondary UpToDate/Inconsistent Connected SyncSource", StatusFormatter.FormatVolume(volume), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no metadata", "no metadata: run tandem volume create-md r0", "r0: no metadata: run tandem volume create-md r0")]
    [InlineData("down", "taken down (tandem volume up r0 brings it back)", "r0: down: taken down (tandem volume up r0 brings it back)")]
    [InlineData(ReplicaStatus.NotReplicated, "local backing", "r0: not replicated (no peer host with an address): serves its local backing")]
    public void A_volume_that_is_not_up_says_why(string state, string reason, string expected) =>
        Assert.Equal(expected, ReplicationFormatter.Format(Volume(new ReplicaStatus { Resource = "r0", State = state, Reason = reason })));
}
