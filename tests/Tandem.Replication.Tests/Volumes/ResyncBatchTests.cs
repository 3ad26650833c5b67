using System.Globalization;
using System.Security.Cryptography;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>Scattered out-of-sync blocks travel several runs to a frame, and a peer of the release
/// before that feature still resyncs with one frame per run.</summary>
public sealed class ResyncBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null)]
    [InlineData("alpha")]
    [InlineData("beta")]
    public async Task Scattered_dirty_blocks_resync_in_batches_unless_one_side_is_of_the_release_before_them(string? older)
    {
        await using var c = await Cluster.SyncedAsync(tweak: o => o with { WithoutResyncBatch = o.NodeName == older }, size: 16 << 20);
        await c.B.Volume.DisconnectAsync();
        await c.WaitForAsync("alpha lost beta", () => c.A.Volume.Connection != ConnectionState.Connected);
        // 600 runs of one block, two clean blocks between each: 7 MiB across two extents.
        const int runs = 600;
        for (var i = 0; i < runs; i++)
        {
            await c.A.Volume.WriteAsync(i * 3 * 4096L, RandomNumberGenerator.GetBytes(4096), false, Ct);
        }
        Assert.Equal(runs * 4096L, c.A.Volume.OutOfSyncBytes);
        var before = c.Events.Last;
        await c.B.Volume.ConnectAsync();
        var finished = await c.Events.WaitAsync("sync finished on the source", e => e.Kind == "volume.sync.finished" && e.Node == "alpha", before);
        await c.WaitSyncedAsync();
        var frames = long.Parse(finished.Data!["frames"], CultureInfo.InvariantCulture);
        Assert.Equal((runs * 4096L).ToString(CultureInfo.InvariantCulture), finished.Data["sentBytes"]);
        if (older is null)
        {
            // Two extents: 342 and 258 runs, at most 256 runs to a batch.
            Assert.Equal(4, frames);
        }
        else
        {
            Assert.Equal(runs, frames);
        }
        Assert.Equal(0, c.A.Volume.OutOfSyncBytes);
        Assert.Equal(0, c.B.Volume.OutOfSyncBytes);
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task A_batch_larger_than_a_chunk_of_contiguous_dirty_blocks_is_split_and_resynced()
    {
        await using var c = await Cluster.SyncedAsync(size: 16 << 20);
        await c.B.Volume.DisconnectAsync();
        await c.WaitForAsync("alpha lost beta", () => c.A.Volume.Connection != ConnectionState.Connected);
        // 3 MiB contiguous in one extent, then 1 MiB in the next: batches are capped at 1 MiB of data.
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(3 << 20), false, Ct);
        await c.A.Volume.WriteAsync(5L << 20, RandomNumberGenerator.GetBytes(1 << 20), false, Ct);
        var before = c.Events.Last;
        await c.B.Volume.ConnectAsync();
        var finished = await c.Events.WaitAsync("sync finished on the source", e => e.Kind == "volume.sync.finished" && e.Node == "alpha", before);
        await c.WaitSyncedAsync();
        Assert.Equal("4", finished.Data!["frames"]);
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }
}
