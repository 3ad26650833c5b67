using System.Security.Cryptography;
using Tandem.Replication.Metadata;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>drbd.md §5.3 and §11 "fencing", "outdate", "lost-primary-after-no-writes".</summary>
public sealed class FencingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fencing_and_outdate_the_fenced_peer_refuses_promotion_until_a_resync_clears_it()
    {
        Cluster? cluster = null;
        var tweak = (ReplicatedVolumeOptions o) => o with
        {
            Fencing = FencingPolicy.ResourceOnly,
            Handlers = new Dictionary<string, string> { ["unfence-peer"] = "exit 0", ["after-resync-target"] = "exit 0" },
            // What the daemon does through the cluster channel: outdate the peer once it is cut off too.
            FencePeer = async (resource, ct) =>
            {
                var peer = o.NodeName == "alpha" ? cluster!.B : cluster!.A;
                await cluster.WaitForAsync("the peer lost its peer too", () => peer.Volume.Connection != ConnectionState.Connected);
                return await peer.Volume.OutdateAsync(ct) switch
                {
                    DiskState.Outdated => FencePeerResult.PeerOutdated,
                    DiskState.Inconsistent => FencePeerResult.PeerInconsistent,
                    _ => FencePeerResult.Failed,
                };
            },
        };
        await using var c = cluster = await Cluster.SyncedAsync(tweak: tweak, proxied: true);
        var size = c.A.Volume.Size;
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(65536), false, Ct);
        c.Partition();
        var fenced = await c.Events.WaitAsync("alpha fenced beta", e => e.Kind == "volume.fencing" && e.Node == "alpha" && e.Data!["phase"] == "finished");
        Assert.Equal("PeerOutdated", fenced.Data!["result"]);
        Assert.Equal(DiskState.Outdated, c.B.Volume.Disk);
        Assert.Equal(DiskState.Outdated, c.A.Volume.PeerDisk);
        Assert.NotEqual(MetadataFlags.None, c.A.Volume.Metadata.Flags & MetadataFlags.PeerOutdated);
        Assert.False(c.A.Volume.IoFrozen);
        await c.A.Volume.WriteAsync(1 << 20, RandomNumberGenerator.GetBytes(65536), false, Ct);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => c.B.Volume.PromoteAsync(false, Ct));
        Assert.Contains("Outdated", refused.Message);
        // Persisted: still Outdated after a restart.
        await c.B.CrashAsync();
        await c.B.RestartAsync();
        Assert.Equal(DiskState.Outdated, c.B.Volume.Disk);
        await Assert.ThrowsAsync<InvalidOperationException>(() => c.B.Volume.PromoteAsync(false, Ct));
        // Reconnect: the resync from alpha clears it.
        await c.B.Volume.ConnectAsync();
        c.Heal();
        await c.Events.WaitAsync("beta resynced", e => e.Kind == "volume.sync.finished" && e.Node == "beta");
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
        await c.WaitForAsync("alpha forgot the outdated peer", () => (c.A.Volume.Metadata.Flags & MetadataFlags.PeerOutdated) == 0);
        await c.Events.WaitAsync("unfence-peer on alpha", e => e.Kind == "volume.handler" && e.Node == "alpha" && e.Data!["handler"] == "unfence-peer");
        await c.Events.WaitAsync("after-resync-target on beta", e => e.Kind == "volume.handler" && e.Node == "beta" && e.Data!["handler"] == "after-resync-target");
    }

    [Fact]
    public async Task Split_brain_runs_the_initial_split_brain_and_split_brain_handlers_on_both_nodes()
    {
        var dir = Directory.CreateTempSubdirectory("tandem-sb-").FullName;
        try
        {
            await using var c = await Cluster.SyncedAsync(proxied: true, tweak: o => o with
            {
                Handlers = new Dictionary<string, string>
                {
                    ["initial-split-brain"] = $"echo \"$DRBD_RESOURCE\" > '{dir}/initial-{o.NodeName}'",
                    ["split-brain"] = $"echo \"$DRBD_PEER\" > '{dir}/sb-{o.NodeName}'",
                },
            });
            c.Partition();
            await c.WaitForAsync("both lost the peer", () => c.A.Volume.Connection == ConnectionState.Connecting && c.B.Volume.Connection == ConnectionState.Connecting);
            await c.B.Volume.PromoteAsync(false, Ct);
            await c.A.Volume.WriteAsync(4096, RandomNumberGenerator.GetBytes(4096), false, Ct);
            await c.B.Volume.WriteAsync(8192, RandomNumberGenerator.GetBytes(4096), false, Ct);
            c.Heal();
            foreach (var (node, peer) in new[] { ("alpha", "beta"), ("beta", "alpha") })
            {
                await c.Events.WaitAsync($"split-brain handler on {node}", e => e.Kind == "volume.handler" && e.Node == node && e.Data!["handler"] == "split-brain");
                await c.Events.WaitAsync($"initial-split-brain handler on {node}", e => e.Kind == "volume.handler" && e.Node == node && e.Data!["handler"] == "initial-split-brain");
                Assert.Equal(peer, File.ReadAllText(Path.Combine(dir, $"sb-{node}")).Trim());
                Assert.Equal("r0", File.ReadAllText(Path.Combine(dir, $"initial-{node}")).Trim());
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task An_outdated_peer_without_newer_writes_becomes_uptodate_on_reconnect_without_resync()
    {
        await using var c = await Cluster.SyncedAsync();
        await c.B.Volume.DisconnectAsync();
        Assert.Equal(DiskState.Outdated, await c.B.Volume.OutdateAsync(Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => c.A.Volume.OutdateAsync(Ct)); // a Primary
        var before = c.Events.Last;
        await c.B.Volume.ConnectAsync();
        await c.WaitSyncedAsync();
        Assert.DoesNotContain(c.Events.Events.Where(e => e.Sequence > before), e => e.Kind == "volume.sync.started");
        await c.B.Volume.DisconnectAsync();
        await c.A.Volume.DemoteAsync(Ct);
        await c.B.Volume.PromoteAsync(false, Ct);
    }

    [Fact]
    public async Task Resource_and_stonith_freezes_writes_until_the_peer_is_fenced()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<FencePeerResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var c = await Cluster.SyncedAsync(tweak: o => o with
        {
            Fencing = FencingPolicy.ResourceAndStonith,
            FencePeer = async (resource, ct) =>
            {
                entered.TrySetResult();
                return await release.Task.WaitAsync(ct);
            },
        });
        var size = c.A.Volume.Size;
        await c.B.Volume.DisconnectAsync();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.True(c.A.Volume.IoFrozen);
        await c.Events.WaitAsync("I/O frozen", e => e.Kind == "volume.io" && e.Node == "alpha" && e.Data!["state"] == "frozen");
        var write = c.A.Volume.WriteAsync(4096, RandomNumberGenerator.GetBytes(4096), false, Ct).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => write.WaitAsync(TimeSpan.FromMilliseconds(300), Ct));
        release.SetResult(FencePeerResult.PeerFenced);
        await write.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await c.Events.WaitAsync("I/O resumed", e => e.Kind == "volume.io" && e.Node == "alpha" && e.Data!["state"] == "resumed");
        Assert.False(c.A.Volume.IoFrozen);
        await c.B.Volume.ConnectAsync();
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }

    [Fact]
    public async Task Resource_and_stonith_holds_a_write_the_lost_peer_never_confirmed_until_the_fence_succeeds()
    {
        var release = new TaskCompletionSource<FencePeerResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var c = await Cluster.SyncedAsync(proxied: true, tweak: o => o with
        {
            Fencing = FencingPolicy.ResourceAndStonith,
            FencePeer = (resource, ct) => release.Task.WaitAsync(ct),
        });
        var size = c.A.Volume.Size;
        c.ToA!.BlackHole();
        c.ToB!.BlackHole();
        // Protocol C: the write waits for the peer's ack, which never comes.
        var write = c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(4096), false, Ct).AsTask();
        var before = c.Events.Last;
        c.Partition();
        await c.Events.WaitAsync("I/O frozen", e => e.Kind == "volume.io" && e.Node == "alpha" && e.Data!["state"] == "frozen", before);
        // Completing it now would acknowledge data a promoted peer may lack.
        await Assert.ThrowsAsync<TimeoutException>(() => write.WaitAsync(TimeSpan.FromMilliseconds(300), Ct));
        release.SetResult(FencePeerResult.PeerOutdated);
        await write.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(4096, c.A.Volume.OutOfSyncBytes);
        c.Heal();
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }

    [Fact]
    public async Task Resource_and_stonith_frozen_after_a_failed_fence_resumes_when_the_peer_reconnects()
    {
        await using var c = await Cluster.SyncedAsync(tweak: o => o with
        {
            Fencing = FencingPolicy.ResourceAndStonith,
            FencePeer = (resource, ct) => Task.FromResult(FencePeerResult.PeerUnreachable),
        });
        var size = c.A.Volume.Size;
        await c.B.Volume.DisconnectAsync();
        await c.Events.WaitAsync("fencing failed", e => e.Kind == "volume.fencing" && e.Node == "alpha" && e.Data!["phase"] == "finished");
        Assert.True(c.A.Volume.IoFrozen);
        var write = c.A.Volume.WriteAsync(4096, RandomNumberGenerator.GetBytes(4096), false, Ct).AsTask();
        await c.B.Volume.ConnectAsync();
        await write.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await c.WaitSyncedAsync();
        await c.A.Volume.FlushAsync(Ct);
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }

    [Fact]
    public async Task Resource_and_stonith_stays_frozen_when_fencing_fails_until_resume_io()
    {
        await using var c = await Cluster.SyncedAsync(tweak: o => o with
        {
            Fencing = FencingPolicy.ResourceAndStonith,
            FencePeer = (resource, ct) => Task.FromResult(FencePeerResult.PeerUnreachable),
        });
        await c.B.Volume.DisconnectAsync();
        await c.Events.WaitAsync("fencing failed", e => e.Kind == "volume.fencing" && e.Node == "alpha" && e.Data!["phase"] == "finished");
        Assert.True(c.A.Volume.IoFrozen);
        var write = c.A.Volume.WriteAsync(4096, RandomNumberGenerator.GetBytes(4096), false, Ct).AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => write.WaitAsync(TimeSpan.FromMilliseconds(300), Ct));
        await c.A.Volume.ResumeIoAsync();
        await write.WaitAsync(TimeSpan.FromSeconds(20), Ct);
    }

    [Fact]
    public async Task Resource_only_keeps_writes_going_while_fencing_is_pending()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<FencePeerResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var c = await Cluster.SyncedAsync(tweak: o => o with
        {
            Fencing = FencingPolicy.ResourceOnly,
            FencePeer = async (resource, ct) =>
            {
                entered.TrySetResult();
                return await release.Task.WaitAsync(ct);
            },
        });
        await c.B.Volume.DisconnectAsync();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.False(c.A.Volume.IoFrozen);
        await c.A.Volume.WriteAsync(4096, RandomNumberGenerator.GetBytes(4096), false, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
        release.SetResult(FencePeerResult.PeerUnreachable);
        var finished = await c.Events.WaitAsync("fencing finished", e => e.Kind == "volume.fencing" && e.Node == "alpha" && e.Data!["phase"] == "finished");
        Assert.Equal("PeerUnreachable", finished.Data!["result"]);
        Assert.Equal(MetadataFlags.None, c.A.Volume.Metadata.Flags & MetadataFlags.PeerOutdated);
    }

    [Fact]
    public async Task The_fence_peer_handler_runs_with_the_drbd_environment_and_its_exit_code_4_outdates()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"tandem-fence-{Guid.NewGuid():N}");
        try
        {
            await using var c = await Cluster.SyncedAsync(tweak: o => o with
            {
                Fencing = FencingPolicy.ResourceOnly,
                FencePeerHandler = $"echo \"$DRBD_RESOURCE $DRBD_PEER $DRBD_PEER_AF\" > '{marker}'; exit 4",
            });
            await c.B.Volume.DisconnectAsync();
            var finished = await c.Events.WaitAsync("fencing finished", e => e.Kind == "volume.fencing" && e.Node == "alpha" && e.Data!["phase"] == "finished");
            Assert.Equal("PeerOutdated", finished.Data!["result"]);
            Assert.Contains(c.Events.Events, e => e.Kind == "volume.handler" && e.Node == "alpha" && e.Data!["exitCode"] == "4");
            Assert.Equal("r0 beta ipv4", File.ReadAllText(marker).Trim());
            Assert.Equal(DiskState.Outdated, c.A.Volume.PeerDisk);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task Lost_primary_after_no_writes_the_secondary_fences_before_promoting_and_the_old_primary_rejoins_as_target()
    {
        var result = FencePeerResult.PeerUnreachable;
        var calls = 0;
        await using var c = await Cluster.SyncedAsync(tweak: o => o with
        {
            Fencing = FencingPolicy.ResourceOnly,
            FencePeer = (resource, ct) =>
            {
                Interlocked.Increment(ref calls);
                return Task.FromResult(result);
            },
        });
        var size = c.A.Volume.Size;
        await c.A.CrashAsync();
        await c.WaitForAsync("beta lost alpha", () => c.B.Volume.Connection != ConnectionState.Connected);
        // The old Primary may be alive and cut off: no promotion until it is fenced.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => c.B.Volume.PromoteAsync(false, Ct));
        Assert.Contains("PeerUnreachable", refused.Message);
        Assert.Equal(Role.Secondary, c.B.Volume.Role);
        result = FencePeerResult.PeerFenced;
        await c.B.Volume.PromoteAsync(false, Ct);
        Assert.Equal(2, calls);
        await c.B.Volume.WriteAsync(12288, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.A.RestartAsync();
        var before = c.Events.Last;
        await c.A.Volume.ConnectAsync();
        var started = await c.Events.WaitAsync("alpha sync target", e => e.Kind == "volume.sync.started" && e.Node == "alpha", before);
        Assert.Equal("SyncTarget", started.Data!["role"]);
        await c.WaitSyncedAsync();
        Assert.DoesNotContain(c.Events.Events, e => e.Kind == "volume.split-brain");
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }
}
