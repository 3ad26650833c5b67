using System.Security.Cryptography;
using Tandem.Core.Model;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>drbd.md §4.5 and §11 "ahead-behind": on-congestion pull-ahead under protocol A.</summary>
public sealed class CongestionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ahead_behind_a_congested_primary_goes_ahead_and_resyncs_when_the_congestion_clears(bool byExtents)
    {
        await using var c = await Cluster.SyncedAsync(ReplicationProtocol.A, size: 32 << 20, tweak: o => o with
        {
            OnCongestion = CongestionPolicy.PullAhead,
            CongestionFill = byExtents ? 0 : 256 << 10,
            CongestionExtents = byExtents ? 2 : 0,
            // The frozen peer answers no ping: keep the connection up while it is frozen.
            PingInterval = TimeSpan.FromMinutes(5),
        });
        var size = c.A.Volume.Size;
        // A peer whose disk stalls stops acknowledging barriers: the unacknowledged data grows.
        var frozen = new TaskCompletionSource();
        c.B.Faulty.Freeze = frozen;
        try
        {
            var ahead = false;
            for (var i = 0; i < 64 && !ahead; i++)
            {
                // By extents: each write in another 4 MiB extent, none confirmed by the frozen peer.
                var offset = byExtents ? i % 7 * (4L << 20) : i % 8 * 65536L;
                await c.A.Volume.WriteAsync(offset, RandomNumberGenerator.GetBytes(65536), false, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
                ahead = c.A.Volume.Replication == ReplicationState.Ahead;
            }
            Assert.True(ahead, "alpha never went Ahead");
            await c.Events.WaitAsync("alpha Ahead", e => e.Kind == "volume.congestion" && e.Node == "alpha" && e.Data!["state"] == "Ahead");
            // Ahead: writes complete at local speed although the peer is stuck.
            for (var i = 0; i < 16; i++)
            {
                await c.A.Volume.WriteAsync((1L << 20) + i * 65536L, RandomNumberGenerator.GetBytes(65536), false, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            }
            Assert.True(c.A.Volume.OutOfSyncBytes >= 16 * 65536);
        }
        finally
        {
            frozen.TrySetResult();
        }
        await c.Events.WaitAsync("beta Behind", e => e.Kind == "volume.congestion" && e.Node == "beta" && e.Data!["state"] == "Behind");
        await c.Events.WaitAsync("congestion cleared", e => e.Kind == "volume.congestion" && e.Node == "alpha" && e.Data!["state"] == "Cleared");
        var started = await c.Events.WaitAsync("resync after Ahead", e => e.Kind == "volume.sync.started" && e.Node == "beta");
        Assert.Equal("SyncTarget", started.Data!["role"]);
        await c.WaitSyncedAsync();
        await c.A.Volume.FlushAsync(Ct);
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.disk" && e.Node == "beta" && e.Data!["new"] == "Outdated");
    }

    [Fact]
    public async Task On_congestion_disconnect_drops_the_connection_and_the_reconnect_resyncs()
    {
        await using var c = await Cluster.SyncedAsync(ReplicationProtocol.A, tweak: o => o with
        {
            OnCongestion = CongestionPolicy.Disconnect,
            CongestionFill = 256 << 10,
            PingInterval = TimeSpan.FromMinutes(5),
        });
        var size = c.A.Volume.Size;
        var frozen = new TaskCompletionSource();
        c.B.Faulty.Freeze = frozen;
        try
        {
            for (var i = 0; i < 64 && c.A.Volume.Connection == ConnectionState.Connected; i++)
            {
                await c.A.Volume.WriteAsync(i % 8 * 65536L, RandomNumberGenerator.GetBytes(65536), false, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            }
            await c.Events.WaitAsync("disconnect on congestion", e => e.Kind == "volume.congestion" && e.Node == "alpha" && e.Data!["state"] == "Disconnect");
        }
        finally
        {
            frozen.TrySetResult();
        }
        var lost = await c.Events.WaitAsync("alpha dropped the connection", e => e.Kind == "volume.connection" && e.Node == "alpha" && e.Reason.Contains("on-congestion disconnect", StringComparison.Ordinal));
        // The writes the peer never confirmed started a new generation: the reconnect resyncs them.
        await c.Events.WaitAsync("resync after the reconnect", e => e.Kind == "volume.sync.finished" && e.Node == "beta", lost.Sequence);
        await c.WaitSyncedAsync();
        await c.A.Volume.FlushAsync(Ct);
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }
}
