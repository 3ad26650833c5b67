using System.Text.Json.Nodes;
using Tandem.Cli.Output;
using Xunit;

namespace Tandem.IntegrationTests.Output;

/// <summary><c>tandem volume status</c> in the spirit of /proc/drbd, checked on status entries built in code.</summary>
public sealed class ReplicationFormatterTests
{
    [Fact]
    public void A_syncing_volume_shows_cs_ro_ds_protocol_oos_and_a_progress_bar_with_its_eta()
    {
        var volume = JsonNode.Parse("""
            {"name":"r0","resource":"r0","state":"exported","replication":{
              "resource":"r0","state":"up","role":"Primary","peerRole":"Secondary","disk":"UpToDate","peerDisk":"Inconsistent",
              "connection":"Connected","replication":"SyncSource","protocol":"C","writeOrdering":"flush","size":16777216,"outOfSyncBytes":3145728,
              "uuids":"4E085102E3227107:0000000000000004:0000000000000000:0000000000000000",
              "sync":{"role":"SyncSource","totalBytes":4194304,"remainingBytes":3145728,"percent":25.0,"bytesPerSecond":262144,"etaSeconds":12}}}
            """)!.AsObject();
        var text = ReplicationFormatter.Format(volume);
        Assert.StartsWith("r0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C wo:f oos:3072KiB", text, StringComparison.Ordinal);
        Assert.Contains("[====>...............] sync'ed: 25.0% (3.0/4.0 MiB left) finish: 0:00:12 speed: 256 KiB/s", text, StringComparison.Ordinal);
        Assert.Contains("uuids: 4E085102E3227107:", text, StringComparison.Ordinal);
        Assert.Contains("replication Primary/Secondary UpToDate/Inconsistent Connected SyncSource", StatusFormatter.FormatVolume(volume), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"r0","replication":{"state":"no metadata","reason":"no metadata: run tandem volume create-md r0"}}""", "r0: no metadata: run tandem volume create-md r0")]
    [InlineData("""{"name":"r0","replication":{"state":"down","reason":"taken down (tandem volume up r0 brings it back)"}}""", "r0: down: taken down (tandem volume up r0 brings it back)")]
    [InlineData("""{"name":"r0","replication":"none (local backing)"}""", "r0: not replicated (no peer host with an address): serves its local backing")]
    public void A_volume_that_is_not_up_says_why(string json, string expected) =>
        Assert.Equal(expected, ReplicationFormatter.Format(JsonNode.Parse(json)!.AsObject()));
}
