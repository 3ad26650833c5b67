using System.Security.Cryptography;
using Tandem.Core.Volumes;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>drbd.md §6 and §11 "io-errors", "disk-timeout": on-io-error detach / pass_on / call-local-io-error.</summary>
public sealed class DiskErrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Detach_on_a_primary_disk_error_serves_reads_and_writes_from_the_peer_and_a_new_disk_is_fully_resynced()
    {
        await using var c = await Cluster.SyncedAsync();
        var size = c.A.Volume.Size;
        var model = new byte[size];
        await WriteAsync(c.A.Volume, model, 0, RandomNumberGenerator.GetBytes(65536));
        c.A.Faulty.FailAll = true;
        // The failing write completes: the peer has it (diskless primary).
        await WriteAsync(c.A.Volume, model, 1 << 20, RandomNumberGenerator.GetBytes(8192));
        Assert.Equal(DiskState.Diskless, c.A.Volume.Disk);
        Assert.Equal(Role.Primary, c.A.Volume.Role);
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.io-error" && e.Node == "alpha" && e.Data!["policy"] == "detach");
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.disk" && e.Node == "alpha" && e.Data!["new"] == "Failed");
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.disk" && e.Node == "alpha" && e.Data!["new"] == "Diskless");
        await c.Events.WaitAsync("beta sees the diskless peer", e => e.Kind == "volume.peer-disk" && e.Node == "beta" && e.Data!["new"] == "Diskless");
        for (var i = 0; i < 8; i++)
        {
            await WriteAsync(c.A.Volume, model, (long)i * 300_000, RandomNumberGenerator.GetBytes(5000 + i));
        }
        await c.A.Volume.FlushAsync(Ct);
        // Reads come from the peer.
        var read = new byte[size];
        await c.A.Volume.ReadAsync(0, read, Ct);
        Assert.Equal(SHA256.HashData(model), SHA256.HashData(read));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(model)), Cluster.Hash(c.B, size));
        // The peer tracks what the detached disk misses, in a new generation.
        Assert.True(c.B.Volume.OutOfSyncBytes >= 8192);
        Assert.NotEqual(0UL, c.B.Volume.Uuids.Bitmap);
        // Replace the dead disk: demote, new backing, create-md, start, connect: a full sync from beta.
        await c.A.Volume.DemoteAsync(Ct);
        await c.A.ReplaceDiskAsync();
        var before = c.Events.Last;
        await c.A.Volume.ConnectAsync();
        var started = await c.Events.WaitAsync("alpha sync target", e => e.Kind == "volume.sync.started" && e.Node == "alpha", before);
        Assert.Equal("SyncTarget", started.Data!["role"]);
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(model)), Cluster.Hash(c.A, size));
    }

    [Fact]
    public async Task Detach_on_a_secondary_disk_error_marks_the_primary_bitmap_and_a_new_disk_is_fully_resynced()
    {
        await using var c = await Cluster.SyncedAsync();
        var size = c.A.Volume.Size;
        c.B.Faulty.FailAll = true;
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(4096), false, Ct);
        await c.WaitForAsync("beta detached", () => c.B.Volume.Disk == DiskState.Diskless && c.A.Volume.PeerDisk == DiskState.Diskless);
        await c.A.Volume.WriteAsync(40960, RandomNumberGenerator.GetBytes(4096), false, Ct);
        Assert.True(c.A.Volume.OutOfSyncBytes >= 8192, $"out of sync: {c.A.Volume.OutOfSyncBytes}");
        Assert.NotEqual(0UL, c.A.Volume.Uuids.Bitmap);
        await c.B.ReplaceDiskAsync();
        await c.B.Volume.ConnectAsync();
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }

    [Fact]
    public async Task Pass_on_reports_the_error_to_the_caller_and_keeps_the_disk()
    {
        await using var c = await Cluster.SyncedAsync(tweak: o => o with { OnIoError = OnIoErrorPolicy.PassOn });
        var data = RandomNumberGenerator.GetBytes(4096);
        // Make the extent hot first: a failing activity-log write would fail the request before it is sent.
        await c.A.Volume.WriteAsync(0, new byte[4096], false, Ct);
        c.A.Faulty.FailWrites = true;
        var ex = await Assert.ThrowsAsync<VolumeException>(async () => await c.A.Volume.WriteAsync(8192, data, false, Ct));
        Assert.Equal(VolumeError.Io, ex.Error);
        Assert.Equal(DiskState.UpToDate, c.A.Volume.Disk);
        Assert.Contains(c.Events.Events, e => e.Kind == "volume.io-error" && e.Node == "alpha" && e.Data!["policy"] == "pass_on");
        Assert.DoesNotContain(c.Events.Events, e => e.Kind == "volume.disk" && e.Node == "alpha" && e.Data!["new"] is "Failed" or "Diskless");
        // The peer has the write; this disk's block is marked out of sync.
        Assert.Equal(4096, c.A.Volume.OutOfSyncBytes);
        var onB = new byte[4096];
        await c.B.Backing.ReadAsync(8192, onB, Ct);
        Assert.Equal(data, onB);
        c.A.Faulty.FailWrites = false;
        c.A.Faulty.FailAll = true;
        var read = await Assert.ThrowsAsync<VolumeException>(async () => await c.A.Volume.ReadAsync(0, new byte[4096], Ct));
        Assert.Equal(VolumeError.Io, read.Error);
        c.A.Faulty.FailAll = false;
        await c.A.Volume.WriteAsync(8192, data, false, Ct);
        Assert.Equal(DiskState.UpToDate, c.A.Volume.Disk);
    }

    [Fact]
    public async Task Pass_on_on_the_secondary_negatively_acknowledges_and_the_primary_resyncs_the_block()
    {
        await using var c = await Cluster.SyncedAsync(tweak: o => o with { OnIoError = OnIoErrorPolicy.PassOn });
        var size = c.A.Volume.Size;
        c.B.Faulty.FailWrites = true;
        // Completes: the Primary has it; the Secondary's failure only marks the block.
        await c.A.Volume.WriteAsync(8192, RandomNumberGenerator.GetBytes(4096), false, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
        var error = await c.Events.WaitAsync("beta passed the error on", e => e.Kind == "volume.io-error" && e.Node == "beta" && e.Data!["policy"] == "pass_on");
        Assert.NotEqual(DiskState.Diskless, c.B.Volume.Disk);
        c.B.Faulty.FailWrites = false;
        await c.Events.WaitAsync("the block resynced", e => e.Kind == "volume.sync.finished" && e.Node == "beta", error.Sequence);
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, size), Cluster.Hash(c.B, size));
    }

    [Fact]
    public async Task Call_local_io_error_runs_the_handler_and_detaches()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"tandem-lioe-{Guid.NewGuid():N}");
        try
        {
            await using var c = await Cluster.SyncedAsync(tweak: o => o with
            {
                OnIoError = OnIoErrorPolicy.CallLocalIoError,
                LocalIoErrorHandler = $"echo \"$DRBD_RESOURCE $DRBD_PEER\" > '{marker}'",
            });
            c.A.Faulty.FailWrites = true;
            await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(4096), false, Ct);
            var ran = await c.Events.WaitAsync("local-io-error handler", e => e.Kind == "volume.handler" && e.Node == "alpha" && e.Data!["handler"] == "local-io-error");
            Assert.Equal("0", ran.Data!["exitCode"]);
            Assert.Equal("r0 beta", File.ReadAllText(marker).Trim());
            Assert.Equal(DiskState.Diskless, c.A.Volume.Disk);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task Disk_timeout_detaches_a_frozen_disk_and_the_write_completes_on_the_peer()
    {
        // Generous: a loaded machine's fsync must not count as a hung disk.
        await using var c = await Cluster.SyncedAsync(tweak: o => o.NodeName == "alpha" ? o with { DiskTimeout = TimeSpan.FromSeconds(3) } : o);
        var frozen = new TaskCompletionSource();
        c.A.Faulty.Freeze = frozen;
        try
        {
            var data = RandomNumberGenerator.GetBytes(4096);
            await c.A.Volume.WriteAsync(4096, data, false, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            Assert.Equal(DiskState.Diskless, c.A.Volume.Disk);
            Assert.Contains(c.Events.Events, e => e.Kind == "volume.io-error" && e.Node == "alpha" && e.Reason.Contains("disk-timeout", StringComparison.Ordinal));
            var read = new byte[4096];
            await c.A.Volume.ReadAsync(4096, read, Ct);
            Assert.Equal(data, read);
        }
        finally
        {
            frozen.TrySetResult();
        }
    }

    [Fact]
    public async Task A_diskless_primary_without_its_peer_fails_io_with_eio()
    {
        await using var c = await Cluster.SyncedAsync();
        c.A.Faulty.FailAll = true;
        await c.A.Volume.WriteAsync(0, new byte[4096], false, Ct);
        Assert.Equal(DiskState.Diskless, c.A.Volume.Disk);
        await c.B.Volume.DisconnectAsync();
        await c.WaitForAsync("alpha lost beta", () => c.A.Volume.Connection != ConnectionState.Connected);
        var w = await Assert.ThrowsAsync<VolumeException>(async () => await c.A.Volume.WriteAsync(0, new byte[4096], false, Ct));
        Assert.Equal(VolumeError.Io, w.Error);
        var r = await Assert.ThrowsAsync<VolumeException>(async () => await c.A.Volume.ReadAsync(0, new byte[4096], Ct));
        Assert.Equal(VolumeError.Io, r.Error);
    }

    private static async Task WriteAsync(ReplicatedVolume v, byte[] model, long offset, byte[] data)
    {
        await v.WriteAsync(offset, data, false, Ct);
        data.CopyTo(model, offset);
    }
}
