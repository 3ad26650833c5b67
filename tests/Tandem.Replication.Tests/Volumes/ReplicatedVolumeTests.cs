using System.Security.Cryptography;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>The must-port scenarios of drbd.md §11, two replicas on loopback TCP.</summary>
public sealed class ReplicatedVolumeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connect_two_new_replicas_connects_without_sync_and_both_stay_inconsistent()
    {
        await using var c = await Cluster.StartAsync();
        await c.ConnectBothAsync();
        await c.WaitForAsync("established", () => c.A.Volume.Replication == ReplicationState.Established && c.B.Volume.Replication == ReplicationState.Established);
        Assert.Equal(DiskState.Inconsistent, c.A.Volume.Disk);
        Assert.Equal(DiskState.Inconsistent, c.B.Volume.PeerDisk);
        var connected = c.Events.Events.Where(e => e.Kind == "volume.connection" && e.Data!["new"] == "Connected").ToList();
        Assert.Contains(connected, e => e.Node == "alpha");
        Assert.Contains(connected, e => e.Node == "beta");
        Assert.All(connected, e => Assert.Contains("just-created-both", e.Reason));
        Assert.DoesNotContain(c.Events.Events, e => e.Kind == "volume.sync.started");
    }

    [Fact]
    public async Task Promotion_of_inconsistent_data_is_refused_without_force_and_a_secondary_refuses_writes()
    {
        await using var c = await Cluster.StartAsync();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => c.A.Volume.PromoteAsync(false, Ct));
        Assert.Contains("Inconsistent", ex.Message);
        var w = await Assert.ThrowsAsync<VolumeException>(async () => await c.B.Volume.WriteAsync(0, new byte[4096], false, Ct));
        Assert.Equal(VolumeError.ReadOnly, w.Error);
    }

    [Fact]
    public async Task Skip_initial_sync_for_new_empty_replicas()
    {
        await using var c = await Cluster.StartAsync();
        await c.ConnectBothAsync();
        await c.WaitForAsync("established", () => c.A.Volume.Replication == ReplicationState.Established && c.B.Volume.Replication == ReplicationState.Established);
        await c.A.Volume.SkipInitialSyncAsync(Ct);
        await c.WaitSyncedAsync();
        Assert.DoesNotContain(c.Events.Events, e => e.Kind == "volume.sync.started");
        await c.B.Volume.PromoteAsync(false, Ct);
    }

    [Fact]
    public async Task Connect_differing_sizes_uses_the_smaller()
    {
        await using var c = await Cluster.StartAsync(sizeA: 8 << 20, sizeB: 12 << 20);
        var small = c.A.Volume.Size;
        Assert.True(c.B.Volume.Size > small);
        await c.ConnectBothAsync();
        Assert.Equal(small, c.A.Volume.Size);
        Assert.Equal(small, c.B.Volume.Size);
    }

    private static Task<Cluster> SyncedAsync(ReplicationProtocol protocol = ReplicationProtocol.C, Func<ReplicatedVolumeOptions, ReplicatedVolumeOptions>? tweak = null, bool proxied = false) =>
        Cluster.SyncedAsync(protocol, tweak, proxied);

    [Fact]
    public async Task Protocol_A_io_replicates_and_flush_waits_for_the_peer()
    {
        await using var c = await SyncedAsync(ReplicationProtocol.A);
        var data = RandomNumberGenerator.GetBytes(256 << 10);
        for (var i = 0; i < 16; i++)
        {
            await c.A.Volume.WriteAsync(i * data.Length, data, false, Ct);
        }
        await c.A.Volume.FlushAsync(Ct);
        // After the flush the peer acknowledged the barrier: its backing has every write.
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Split_brain_policy_discard_zero_changes_resolves_automatically()
    {
        await using var c = await SyncedAsync(tweak: o => o with { Policies = new Tandem.Replication.Uuids.SplitBrainPolicies("discard-zero-changes", "consensus") });
        await c.A.Volume.DisconnectAsync();
        await c.B.Volume.DisconnectAsync();
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.B.Volume.PromoteAsync(false, Ct);
        await c.B.Volume.DemoteAsync(Ct); // promoted, but wrote nothing: no new generation (DRBD 9 lazy bump)
        await c.A.Volume.DemoteAsync(Ct);
        await c.A.Volume.ConnectAsync();
        await c.B.Volume.ConnectAsync();
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Switch_primaries_refuses_a_second_primary_and_keeps_the_data()
    {
        await using var c = await SyncedAsync();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => c.B.Volume.PromoteAsync(false, Ct));
        Assert.Contains("peer is Primary", ex.Message);
        var data = RandomNumberGenerator.GetBytes(4096);
        await c.A.Volume.WriteAsync(40960, data, false, Ct);
        await c.A.Volume.DemoteAsync(Ct);
        await c.WaitForAsync("beta sees alpha Secondary", () => c.B.Volume.PeerRole == Role.Secondary);
        await c.B.Volume.PromoteAsync(false, Ct);
        var read = new byte[4096];
        await c.B.Volume.ReadAsync(40960, read, Ct);
        Assert.Equal(data, read);
        await c.B.Volume.WriteAsync(0, data, true, Ct);
        Assert.Equal(Role.Primary, c.B.Volume.Role);
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.role" && e.Node == "beta" && e.Data!["new"] == "Primary");
    }

    [Fact]
    public async Task Invalidate_resyncs_the_whole_secondary_from_the_peer()
    {
        await using var c = await SyncedAsync();
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(1 << 20), false, Ct);
        await c.A.Volume.FlushAsync(Ct);
        // Corrupt the secondary's backing behind its back, then invalidate it.
        await c.B.Backing.WriteAsync(4096, RandomNumberGenerator.GetBytes(4096), false, Ct);
        var before = c.Events.Last;
        await c.B.Volume.InvalidateAsync(Ct);
        var started = await c.Events.WaitAsync("full sync", e => e.Kind == "volume.sync.started" && e.Node == "alpha", before);
        Assert.Equal(c.A.Volume.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), started.Data!["bytes"]);
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task A_configured_secret_refuses_an_unauthenticated_peer_and_goes_standalone()
    {
        var n = 0;
        await using var c = await Cluster.StartAsync(tweak: o => n++ == 0 ? o with { CramHmacAlg = "sha256", SharedSecret = "s3cret" } : o);
        await c.A.Volume.ConnectAsync();
        await c.B.Volume.ConnectAsync();
        await c.WaitForAsync("both StandAlone after the refusal", () =>
            c.A.Volume.Connection == ConnectionState.StandAlone && c.B.Volume.Connection == ConnectionState.StandAlone);
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.connection" && e.Reason.Contains("requires authentication", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resync_after_primary_crash_resyncs_the_activity_log_extents()
    {
        await using var c = await SyncedAsync();
        await c.B.Volume.DisconnectAsync();
        await c.WaitForAsync("alpha alone", () => c.A.Volume.Connection != ConnectionState.Connected);
        await c.A.Volume.ConnectAsync(); // keep trying, as after a network failure
        // Writes that only alpha has (the peer is away) and then the power loss.
        await c.A.Volume.WriteAsync(5L << 20, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.A.CrashAsync();
        await c.A.RestartAsync();
        Assert.True(c.A.Volume.Metadata.RecoveredFromCrash);
        Assert.True(c.A.Volume.OutOfSyncBytes > 1L << 20, $"the hot 4 MiB extent (the part inside the volume) is marked out of sync: {c.A.Volume.OutOfSyncBytes}");
        var before = c.Events.Last;
        await c.A.Volume.ConnectAsync();
        await c.B.Volume.ConnectAsync();
        await c.Events.WaitAsync("sync finished", e => e.Kind == "volume.sync.finished" && e.Node == "beta", before);
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Stress_al_many_more_hot_extents_than_the_log_holds_keep_it_bounded_and_a_crash_resyncs_only_the_log()
    {
        // 64 MiB = 16 extents of 4 MiB under an activity log of 3: nearly every write evicts one.
        const int alExtents = 3;
        await using var c = await Cluster.SyncedAsync(size: 64 << 20, alExtents: alExtents);
        var al = c.A.Volume.Metadata.ActivityLog;
        var size = c.A.Volume.Size;
        var transactionsBefore = al.Transactions;
        var largest = 0;
        async Task WriterAsync(int seed)
        {
            var random = new Random(seed);
            for (var i = 0; i < 150; i++)
            {
                var length = 4096 << random.Next(0, 5); // 4 KiB .. 64 KiB
                var offset = random.NextInt64(0, (size - length) / 4096) * 4096;
                var data = new byte[length];
                random.NextBytes(data);
                await c.A.Volume.WriteAsync(offset, data, forceUnitAccess: i % 10 == 0, Ct);
                var hot = al.Extents.Count;
                InterlockedMax(ref largest, hot);
            }
        }
        await Task.WhenAll(Enumerable.Range(1, 8).Select(WriterAsync));

        // Past its capacity only by extents busy at that moment: 8 writers, 2 extents a write at most.
        Assert.True(largest <= alExtents + 8 * 2, $"the activity log held {largest} extents, more than its {alExtents} and the busy ones");
        var transactions = al.Transactions - transactionsBefore;
        Assert.True(transactions >= 200, $"1 200 writes over 16 extents with room for 3 committed only {transactions} AL transactions");
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));

        // Once idle, the next commit shrinks the log back to its capacity.
        var cold = Enumerable.Range(0, (int)(size >> ActivityLog.ExtentShift)).First(e => !al.Extents.Contains((uint)e));
        await c.A.Volume.WriteAsync((long)cold << ActivityLog.ExtentShift, new byte[4096], false, Ct);
        Assert.True(al.Extents.Count <= alExtents, $"after a commit with nothing busy the log holds {al.Extents.Count} extents, more than {alExtents}");

        // A power loss now: what the restarted primary must resync is at most the log's extents.
        await c.A.CrashAsync();
        await c.A.RestartAsync();
        Assert.True(c.A.Volume.Metadata.RecoveredFromCrash);
        Assert.InRange(c.A.Volume.OutOfSyncBytes, 1, (long)alExtents << ActivityLog.ExtentShift);
        var before = c.Events.Last;
        await c.A.Volume.ConnectAsync();
        await c.B.Volume.ConnectAsync();
        await c.Events.WaitAsync("sync finished", e => e.Kind == "volume.sync.finished" && e.Node == "beta", before);
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    [Fact]
    public async Task Io_error_on_a_primary_without_its_peer_fails_the_write_and_the_disk()
    {
        await using var c = await SyncedAsync();
        await c.B.Volume.DisconnectAsync();
        await c.WaitForAsync("alpha lost beta", () => c.A.Volume.Connection != ConnectionState.Connected);
        c.A.Faulty.FailWrites = true;
        var ex = await Assert.ThrowsAsync<VolumeException>(async () => await c.A.Volume.WriteAsync(0, new byte[4096], false, Ct));
        Assert.Equal(VolumeError.Io, ex.Error);
        // on-io-error detach: Failed, then Diskless; with no peer to serve it, I/O fails.
        Assert.Equal(DiskState.Diskless, c.A.Volume.Disk);
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.disk" && e.Node == "alpha" && e.Data!["new"] == "Failed");
        await Assert.ThrowsAsync<VolumeException>(async () => await c.A.Volume.WriteAsync(0, new byte[4096], false, Ct));
    }

    [Fact]
    public async Task Demotion_waits_until_every_write_is_acknowledged()
    {
        await using var c = await SyncedAsync();
        var writes = Enumerable.Range(0, 32).Select(i => c.A.Volume.WriteAsync(i * 65536L, RandomNumberGenerator.GetBytes(65536), false, Ct).AsTask()).ToArray();
        await Task.WhenAll(writes);
        await c.A.Volume.DemoteAsync(Ct);
        // Demoted only after the barrier acks: the peer's backing already has everything.
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
        Assert.Equal(Role.Secondary, c.A.Volume.Role);
    }

    [Fact]
    public async Task Online_verify_finds_the_differing_blocks_and_resyncs_them()
    {
        await using var c = await SyncedAsync(tweak: o => o with { VerifyAlg = "sha256" });
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(1 << 20), false, Ct);
        await c.A.Volume.FlushAsync(Ct);
        await c.B.Backing.WriteAsync(4096 * 3, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.B.Backing.WriteAsync(4096 * 700, RandomNumberGenerator.GetBytes(4096), false, Ct);
        var before = c.Events.Last;
        var found = await c.A.Volume.VerifyAsync(resyncFromHere: true, Ct);
        Assert.Equal(2 * 4096, found);
        var done = await c.Events.WaitAsync("verify finished", e => e.Kind == "volume.verify.finished" && e.Node == "alpha", before);
        Assert.Equal("8192", done.Data!["outOfSyncBytes"]);
        await c.Events.WaitAsync("sync finished", e => e.Kind == "volume.sync.finished" && e.Node == "beta", before);
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
        Assert.Equal(0, await c.A.Volume.VerifyAsync(false, Ct));
    }

    [Fact]
    public async Task Checksum_resync_sends_only_blocks_that_differ()
    {
        await using var c = await SyncedAsync(tweak: o => o with { CsumsAlg = "crc32c" });
        await c.B.Volume.DisconnectAsync();
        await c.WaitForAsync("alpha alone", () => c.A.Volume.Connection != ConnectionState.Connected);
        await c.A.Volume.WriteAsync(0, new byte[256 << 10], false, Ct); // rewrites the zeros the peer has
        await c.A.Volume.WriteAsync(2 << 20, RandomNumberGenerator.GetBytes(4096), false, Ct);
        var before = c.Events.Last;
        await c.B.Volume.ConnectAsync();
        var done = await c.Events.WaitAsync("sync finished", e => e.Kind == "volume.sync.finished" && e.Node == "alpha", before);
        Assert.Equal(((256 << 10) + 4096).ToString(System.Globalization.CultureInfo.InvariantCulture), done.Data!["bytes"]);
        Assert.Equal("4096", done.Data!["sentBytes"]);
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Fixed_resync_rate_is_honoured()
    {
        const long rate = 16L << 20;
        await using var c = await Cluster.StartAsync(randomDataOnA: true, tweak: o => o with { ResyncRate = rate });
        await c.ConnectBothAsync();
        // Timed from before the promotion that starts the sync: on a loaded machine the sync.started
        // event may be stamped after the first requests left, which would shorten the measure.
        var before = DateTimeOffset.UtcNow;
        await c.A.Volume.PromoteAsync(force: true, Ct);
        var started = await c.Events.WaitAsync("sync started", e => e.Kind == "volume.sync.started" && e.Node == "alpha");
        var finished = await c.Events.WaitAsync("sync finished", e => e.Kind == "volume.sync.finished" && e.Node == "alpha");
        var bytes = long.Parse(started.Data!["bytes"], System.Globalization.CultureInfo.InvariantCulture);
        // The controller sends a step's share at once (at t = 0), so the last share leaves one step
        // before bytes / rate; timer jitter takes a little more. Unthrottled (about 1 GB/s in
        // docs/benchmarks.md) these 8 MiB would take under 10 ms.
        var floor = (TimeSpan.FromSeconds((double)bytes / rate) - ResyncRateController.Step) * 0.9;
        Assert.True(finished.Time - before >= floor, $"{bytes} bytes synced in {(finished.Time - before).TotalMilliseconds} ms, faster than {rate} B/s");
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Dynamic_rate_controller_resyncs_and_a_frozen_target_is_reported_as_stalled()
    {
        await using var c = await Cluster.StartAsync(randomDataOnA: true, tweak: o => o with
        {
            ControllerPlanAhead = TimeSpan.FromSeconds(2),
            ControllerFillTarget = 1 << 20,
            StallTimeout = TimeSpan.FromMilliseconds(300),
        });
        await c.ConnectBothAsync();
        await c.A.Volume.PromoteAsync(force: true, Ct);
        await c.Events.WaitAsync("sync started on beta", e => e.Kind == "volume.sync.started" && e.Node == "beta");
        var freeze = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        c.B.Faulty.Freeze = freeze;
        ClusterEvent stalled;
        try
        {
            stalled = await c.Events.WaitAsync("stalled", e => e.Kind == "volume.sync.stalled" && e.Node == "alpha");
        }
        finally
        {
            c.B.Faulty.Freeze = null;
            freeze.SetResult();
        }
        Assert.Contains("no resync acknowledgement", stalled.Reason);
        await c.Events.WaitAsync("moving again", e => e.Kind == "volume.sync.progress" && e.Reason.Contains("again", StringComparison.Ordinal), stalled.Sequence);
        await c.Events.WaitAsync("sync finished", e => e.Kind == "volume.sync.finished" && e.Node == "beta");
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }

    [Fact]
    public async Task Status_section_reports_roles_states_and_sync()
    {
        await using var c = await SyncedAsync();
        var section = new ReplicationStatusSection();
        section.Add(c.A.Volume);
        var volume = Assert.Single(section.GetSnapshot().Volumes);
        Assert.Equal("Primary", volume.Role);
        Assert.Equal("Connected", volume.Connection);
        Assert.Equal("replication", section.Name);
    }
}
