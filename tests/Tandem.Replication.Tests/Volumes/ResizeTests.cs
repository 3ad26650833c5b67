using System.Security.Cryptography;
using Tandem.Core.Volumes;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>drbd.md §11 "resize": online grow with internal metadata, shrink refused unless forced.</summary>
public sealed class ResizeTests
{
    private const long File = 16 << 20;
    private const long Initial = 8 << 20;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Resize_grows_online_moves_the_internal_metadata_and_resyncs_the_new_area()
    {
        await using var c = await Cluster.SyncedAsync(size: File, visibleSize: Initial);
        var old = c.A.Volume.Size;
        Assert.True(old < Initial);
        await c.A.Volume.WriteAsync(0, RandomNumberGenerator.GetBytes(1 << 20), false, Ct);
        await c.A.Volume.WriteAsync(old - 65536, RandomNumberGenerator.GetBytes(65536), false, Ct);
        // The backings grow (lvextend); beta's new area holds other bytes than alpha's.
        c.A.Faulty.SizeLimit = File;
        c.B.Faulty.SizeLimit = File;
        await c.B.Backing.WriteAsync(Initial, RandomNumberGenerator.GetBytes(1 << 20), false, Ct);
        const long newSize = 12 << 20;
        var before = c.Events.Last;
        await c.A.Volume.ResizeAsync(newSize, force: false, assumeClean: false, Ct);
        Assert.Equal(newSize, c.A.Volume.Size);
        await c.Events.WaitAsync("beta resized", e => e.Kind == "volume.resize" && e.Node == "beta" && e.Data!["new"] == "12582912", before);
        Assert.Equal(newSize, c.B.Volume.Size);
        var started = await c.Events.WaitAsync("resync of the grown area", e => e.Kind == "volume.sync.started" && e.Node == "alpha", before);
        Assert.Equal((newSize - old).ToString(System.Globalization.CultureInfo.InvariantCulture), started.Data!["bytes"]);
        await c.WaitSyncedAsync();
        // Writable up to the new end, not beyond.
        await c.A.Volume.WriteAsync(newSize - 4096, RandomNumberGenerator.GetBytes(4096), false, Ct);
        var beyond = await Assert.ThrowsAsync<VolumeException>(async () => await c.A.Volume.WriteAsync(newSize, new byte[4096], false, Ct));
        Assert.Equal(VolumeError.Invalid, beyond.Error);
        await c.A.Volume.FlushAsync(Ct);
        Assert.Equal(Cluster.Hash(c.A, newSize), Cluster.Hash(c.B, newSize));
        // The moved metadata opens at the new end with the new size.
        await c.B.CrashAsync();
        await c.B.RestartAsync();
        Assert.Equal(newSize, c.B.Volume.Size);
        var again = c.Events.Last;
        await c.B.Volume.ConnectAsync();
        await c.WaitSyncedAsync();
        Assert.DoesNotContain(c.Events.Events.Where(e => e.Sequence > again), e => e.Kind == "volume.sync.started" && e.Data!["bytes"] == (newSize - old).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Cluster.Hash(c.A, newSize), Cluster.Hash(c.B, newSize));
    }

    [Fact]
    public async Task Resize_refuses_a_size_the_peer_cannot_hold_and_a_shrink_unless_forced()
    {
        await using var c = await Cluster.SyncedAsync(size: File, visibleSize: Initial);
        var old = c.A.Volume.Size;
        c.A.Faulty.SizeLimit = File; // only alpha's backing grew
        var peer = await Assert.ThrowsAsync<InvalidOperationException>(() => c.A.Volume.ResizeAsync(12 << 20, false, false, Ct));
        Assert.Contains("peer", peer.Message);
        Assert.Equal(old, c.A.Volume.Size);
        Assert.Equal(old, c.B.Volume.Size);
        var shrink = await Assert.ThrowsAsync<InvalidOperationException>(() => c.A.Volume.ResizeAsync(4 << 20, false, false, Ct));
        Assert.Contains("shrink", shrink.Message);
        var secondary = await Assert.ThrowsAsync<InvalidOperationException>(() => c.B.Volume.ResizeAsync(4 << 20, true, false, Ct));
        Assert.Contains("Primary", secondary.Message);
        await c.A.Volume.ResizeAsync(4 << 20, force: true, assumeClean: false, Ct);
        Assert.Equal(4 << 20, c.A.Volume.Size);
        await c.WaitForAsync("beta shrunk", () => c.B.Volume.Size == 4 << 20);
        // The agreed size holds across a reconnect (no implicit grow back).
        await c.B.Volume.DisconnectAsync();
        await c.B.Volume.ConnectAsync();
        await c.WaitSyncedAsync();
        Assert.Equal(4 << 20, c.A.Volume.Size);
        Assert.Equal(4 << 20, c.B.Volume.Size);
    }
}
