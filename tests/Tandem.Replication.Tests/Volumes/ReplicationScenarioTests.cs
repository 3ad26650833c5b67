using System.Security.Cryptography;
using Tandem.Core.Model;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>
/// The replication scenarios that depend on the connection (connect and resync, protocol C's
/// acknowledgement, loss and reconnect, partition and split brain, a silent peer), written once
/// and run over each transport: loopback TCP (<see cref="TcpReplicationScenarioTests"/>) and the
/// in-memory link (<see cref="InMemoryReplicationScenarioTests"/>).
/// </summary>
public abstract class ReplicationScenarioTests
{
    private protected abstract PeerTransportKind Transport { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<Cluster> StartAsync(bool randomDataOnA = false, Func<ReplicatedVolumeOptions, ReplicatedVolumeOptions>? tweak = null) =>
        Cluster.StartAsync(randomDataOnA: randomDataOnA, tweak: tweak, transport: Transport);

    private Task<Cluster> SyncedAsync(ReplicationProtocol protocol = ReplicationProtocol.C, Func<ReplicatedVolumeOptions, ReplicatedVolumeOptions>? tweak = null, bool proxied = false) =>
        Cluster.SyncedAsync(protocol, tweak, proxied && Transport == PeerTransportKind.Tcp, transport: Transport);

    [Fact]
    public async Task Resync_initial_full_sync_from_the_forced_primary_makes_both_backings_equal()
    {
        await using var c = await StartAsync(randomDataOnA: true);
        await c.ConnectBothAsync();
        await c.A.Volume.PromoteAsync(force: true, Ct);
        var finished = await c.Events.WaitAsync("sync finished on beta", e => e.Kind == "volume.sync.finished" && e.Node == "beta");
        await c.WaitSyncedAsync();
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.sync.started" && e.Node == "alpha" && e.Data!["role"] == "SyncSource");
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
        Assert.Equal(0, c.A.Volume.OutOfSyncBytes);
        Assert.Equal(c.A.Volume.Uuids.Current & ~1UL, c.B.Volume.Uuids.Current & ~1UL);
        Assert.NotNull(finished);
    }

    [Fact]
    public async Task Protocol_C_every_acknowledged_write_survives_the_primary_power_loss()
    {
        await using var c = await SyncedAsync();
        var acked = new System.Collections.Concurrent.ConcurrentDictionary<long, byte[]>();
        using var stop = new CancellationTokenSource();
        var blocks = c.A.Volume.Size / 4096;
        var next = -1L;
        async Task WriterAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var block = Interlocked.Increment(ref next) % blocks;
                var data = RandomNumberGenerator.GetBytes(4096);
                try
                {
                    await c.A.Volume.WriteAsync(block * 4096, data, false, CancellationToken.None);
                }
                catch (Exception)
                {
                    return; // the crash
                }
                if (stop.IsCancellationRequested)
                {
                    return; // completed after the power loss: not acknowledged to anyone
                }
                acked[block] = data;
            }
        }
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(WriterAsync)).ToArray();
        await c.WaitForAsync("300 acknowledged writes", () => acked.Count >= 300);
        stop.Cancel();
        await c.A.CrashAsync();
        await Task.WhenAll(writers);
        await c.WaitForAsync("beta lost its peer", () => c.B.Volume.Connection != ConnectionState.Connected);
        await c.B.Volume.PromoteAsync(false, Ct);
        var buf = new byte[4096];
        foreach (var (block, data) in acked)
        {
            await c.B.Volume.ReadAsync(block * 4096, buf, Ct);
            Assert.True(data.AsSpan().SequenceEqual(buf), $"acknowledged write to block {block} is missing on the survivor");
        }
    }

    [Fact]
    public async Task Writes_while_disconnected_mark_the_bitmap_and_a_reconnect_resyncs_only_them()
    {
        await using var c = await SyncedAsync();
        await c.B.Volume.DisconnectAsync();
        await c.WaitForAsync("alpha lost beta", () => c.A.Volume.Connection != ConnectionState.Connected);
        await c.A.Volume.WriteAsync(4096 * 10, RandomNumberGenerator.GetBytes(8192), false, Ct);
        await c.A.Volume.WriteAsync(1 << 20, RandomNumberGenerator.GetBytes(4096), false, Ct);
        Assert.Equal(3 * 4096, c.A.Volume.OutOfSyncBytes);
        Assert.True(c.A.Volume.Uuids.Bitmap != 0, $"a new generation was started: {c.A.Volume.Uuids}");
        var before = c.Events.Last;
        await c.B.Volume.ConnectAsync();
        var started = await c.Events.WaitAsync("sync started", e => e.Kind == "volume.sync.started" && e.Node == "alpha", before);
        Assert.Equal("12288", started.Data!["bytes"]);
        Assert.Contains("bitmap", started.Reason);
        await c.Events.WaitAsync("sync finished", e => e.Kind == "volume.sync.finished" && e.Node == "beta", before);
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Write_during_resync_and_resync_interrupt_end_with_equal_backings()
    {
        await using var c = await StartAsync(randomDataOnA: true, tweak: o => o with { ResyncRate = 4L << 20 });
        await c.ConnectBothAsync();
        await c.A.Volume.PromoteAsync(force: true, Ct);
        await c.Events.WaitAsync("sync progress", e => e.Kind == "volume.sync.progress" && e.Node == "alpha");
        // Application writes while the resync runs, at both ends of the volume.
        for (var i = 0; i < 20; i++)
        {
            await c.A.Volume.WriteAsync(i * 4096L * 37 % (c.A.Volume.Size - 4096), RandomNumberGenerator.GetBytes(4096), i % 5 == 0, Ct);
        }
        // Interrupt: cut the connection; the replicas reconnect and resume from the bitmap.
        var before = c.Events.Last;
        c.A.Volume.CutConnection();
        await c.Events.WaitAsync("reconnected", e => e.Kind == "volume.connection" && e.Data!["new"] == "Connected" && e.Node == "alpha", before);
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(65536), true, Ct);
        await c.WaitSyncedAsync();
        await c.A.Volume.FlushAsync(Ct);
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Split_brain_is_detected_on_both_nodes_and_resolved_by_discard_my_data()
    {
        await using var c = await SyncedAsync();
        await c.A.Volume.DisconnectAsync();
        await c.B.Volume.DisconnectAsync();
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.B.Volume.PromoteAsync(false, Ct);
        await c.B.Volume.WriteAsync(8192, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.B.Volume.DemoteAsync(Ct);
        var before = c.Events.Last;
        await c.A.Volume.ConnectAsync();
        await c.B.Volume.ConnectAsync();
        await c.Events.WaitAsync("split brain on alpha", e => e.Kind == "volume.split-brain" && e.Node == "alpha", before);
        await c.Events.WaitAsync("split brain on beta", e => e.Kind == "volume.split-brain" && e.Node == "beta", before);
        await c.WaitForAsync("both StandAlone", () => c.A.Volume.Connection == ConnectionState.StandAlone && c.B.Volume.Connection == ConnectionState.StandAlone);
        Assert.NotEqual(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));

        // Manual recovery (drbd.md §5.2): the victim reconnects with --discard-my-data.
        await c.B.Volume.ConnectAsync(discardMyData: true);
        await c.A.Volume.ConnectAsync();
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Network_partition_then_both_write_is_a_split_brain_detected_on_heal()
    {
        await using var c = await SyncedAsync(proxied: true);
        var data = RandomNumberGenerator.GetBytes(4096);
        await c.A.Volume.WriteAsync(0, data, false, Ct);
        c.Partition();
        await c.WaitForAsync("both lost the peer", () => c.A.Volume.Connection == ConnectionState.Connecting && c.B.Volume.Connection == ConnectionState.Connecting);
        // The write acknowledged before the partition is on beta.
        await c.B.Volume.PromoteAsync(false, Ct);
        var read = new byte[4096];
        await c.B.Volume.ReadAsync(0, read, Ct);
        Assert.Equal(data, read);
        await c.A.Volume.WriteAsync(4096, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.B.Volume.WriteAsync(8192, RandomNumberGenerator.GetBytes(4096), false, Ct);
        var before = c.Events.Last;
        c.Heal();
        await c.Events.WaitAsync("split brain on alpha", e => e.Kind == "volume.split-brain" && e.Node == "alpha", before);
        await c.Events.WaitAsync("split brain on beta", e => e.Kind == "volume.split-brain" && e.Node == "beta", before);
        await c.WaitForAsync("both StandAlone", () => c.A.Volume.Connection == ConnectionState.StandAlone && c.B.Volume.Connection == ConnectionState.StandAlone);
    }

    [Fact]
    public async Task A_silent_peer_is_declared_lost_by_the_ping_and_a_pending_write_completes_locally()
    {
        await using var c = await SyncedAsync(proxied: true, tweak: o => o with { PingInterval = TimeSpan.FromMilliseconds(200), PeerTimeout = TimeSpan.FromMilliseconds(500) });
        c.Silence();
        var before = c.Events.Last;
        // Protocol C: the write waits for an ack that never comes, until the peer is declared lost.
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(4096), false, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await c.Events.WaitAsync("alpha lost beta", e => e.Kind == "volume.connection" && e.Node == "alpha" && e.Data!["new"] == "Connecting", before);
        // Whichever side's ping times out first closes its connection; the other end sees it closed.
        await c.Events.WaitAsync("a ping timeout", e => e.Kind == "volume.connection" && e.Reason.Contains("PingAck", StringComparison.Ordinal), before);
        Assert.Equal(4096, c.A.Volume.OutOfSyncBytes);
        c.Heal();
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Lost_primary_after_no_writes_rejoins_as_sync_target_without_split_brain()
    {
        await using var c = await SyncedAsync();
        await c.A.CrashAsync();
        await c.WaitForAsync("beta lost alpha", () => c.B.Volume.Connection != ConnectionState.Connected);
        await c.B.Volume.PromoteAsync(false, Ct);
        await c.B.Volume.WriteAsync(12288, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.A.RestartAsync();
        Assert.Equal(Role.Secondary, c.A.Volume.Role);
        var before = c.Events.Last;
        await c.A.Volume.ConnectAsync();
        var started = await c.Events.WaitAsync("alpha sync target", e => e.Kind == "volume.sync.started" && e.Node == "alpha", before);
        Assert.Equal("SyncTarget", started.Data!["role"]);
        await c.WaitSyncedAsync();
        Assert.DoesNotContain(c.Events.Events, e => e.Kind == "volume.split-brain");
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }
}
