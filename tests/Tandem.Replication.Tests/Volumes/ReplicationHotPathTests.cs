using System.Security.Cryptography;
using Tandem.Core.Model;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>
/// The write path's fast cases (a frame sent on the writer's thread when it is alone, acks
/// batched per received burst, completions continuing on the receive thread) against the queued
/// ones, and the byte counter the resync benchmark relies on.
/// </summary>
public sealed class ReplicationHotPathTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Cluster> SyncedAsync(ReplicationProtocol protocol)
    {
        var c = await Cluster.StartAsync(sizeA: 32 << 20, sizeB: 32 << 20, protocol: protocol);
        await c.ConnectBothAsync();
        await c.WaitForAsync("established", () => c.A.Volume.Replication == ReplicationState.Established && c.B.Volume.Replication == ReplicationState.Established);
        await c.A.Volume.SkipInitialSyncAsync(Ct);
        await c.WaitSyncedAsync();
        await c.A.Volume.PromoteAsync(false, Ct);
        await c.WaitForAsync("beta sees alpha Primary", () => c.B.Volume.PeerRole == Role.Primary);
        return c;
    }

    [Theory]
    [InlineData(ReplicationProtocol.C)]
    [InlineData(ReplicationProtocol.A)]
    public async Task Writes_one_at_a_time_and_in_bursts_reach_the_peer_intact_and_are_counted(ReplicationProtocol protocol)
    {
        await using var c = await SyncedAsync(protocol);
        var v = c.A.Volume;
        var sentBefore = v.SentBytes;
        long written = 0;
        // One at a time (each frame alone: sent on this thread), with flushes in between.
        for (var i = 0; i < 200; i++)
        {
            await v.WriteAsync((long)(i * 7 % 2048) * 4096, RandomNumberGenerator.GetBytes(4096), i % 10 == 0, Ct);
            written += 4096;
            if (i % 25 == 0)
            {
                await v.FlushAsync(Ct);
            }
        }
        // Bursts of concurrent writes, small and large (queued, batched, partly sent by the loop).
        var burst = Enumerable.Range(0, 64).Select(i => v.WriteAsync((8L << 20) + i * 65536L, RandomNumberGenerator.GetBytes(65536), false, Ct).AsTask());
        var large = Enumerable.Range(0, 8).Select(i => v.WriteAsync((16L << 20) + i * (1L << 20), RandomNumberGenerator.GetBytes(1 << 20), false, Ct).AsTask());
        await Task.WhenAll(burst.Concat(large));
        written += 64 * 65536 + 8 * (1 << 20);
        await v.FlushAsync(Ct);
        // After the flush the peer acknowledged every barrier: its backing has every write.
        Assert.Equal(Cluster.Hash(c.A, v.Size), Cluster.Hash(c.B, v.Size));
        var sent = v.SentBytes - sentBefore;
        Assert.True(sent >= written, $"sent {sent} bytes for {written} bytes of writes");
        Assert.True(sent < written + 64 * 1024, $"sent {sent} bytes for {written} bytes of writes: more than the framing costs");
        Assert.Equal(0, v.OutOfSyncBytes);
    }

    [Fact]
    public async Task Resync_sends_only_the_dirty_blocks()
    {
        await using var c = await SyncedAsync(ReplicationProtocol.C);
        var v = c.A.Volume;
        await c.B.Volume.DisconnectAsync();
        await c.WaitForAsync("alpha lost beta", () => v.Connection != ConnectionState.Connected);
        // Scattered single blocks and a few runs: 25% of the first 4 MiB.
        var random = new Random(4);
        var blocks = Enumerable.Range(0, 1024).OrderBy(_ => random.Next()).Take(256).ToList();
        foreach (var b in blocks)
        {
            await v.WriteAsync(b * 4096L, RandomNumberGenerator.GetBytes(4096), false, Ct);
        }
        var dirty = v.OutOfSyncBytes;
        Assert.Equal(256 * 4096, dirty);
        var sentBefore = v.SentBytes;
        var before = c.Events.Last;
        await c.B.Volume.ConnectAsync();
        var finished = await c.Events.WaitAsync("sync finished", e => e.Kind == "volume.sync.finished" && e.Node == "alpha", before);
        await c.WaitSyncedAsync();
        Assert.Equal(dirty.ToString(System.Globalization.CultureInfo.InvariantCulture), finished.Data!["sentBytes"]);
        var wire = v.SentBytes - sentBefore;
        // The data, its framing (20 bytes a request) and the bitmap of a 32 MiB volume (1 KiB).
        Assert.True(wire >= dirty && wire < dirty + 32 * 1024, $"the resync of {dirty} dirty bytes sent {wire} bytes");
        Assert.Equal(Cluster.Hash(c.A, v.Size), Cluster.Hash(c.B, v.Size));
    }
}
