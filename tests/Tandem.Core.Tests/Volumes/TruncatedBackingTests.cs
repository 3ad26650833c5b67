using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Volumes;
using Xunit;

namespace Tandem.Core.Tests.Volumes;

/// <summary>
/// Issue #18 item 6: a backing truncated under a running volume served zeros for every block past
/// its new end, with no error; a deleted backing went unnoticed until a restart. Now a read or write
/// past the real end is an I/O error, and the backing's size and identity are checked.
/// </summary>
public sealed class TruncatedBackingTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-backing-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Truncate(string path, long size)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        f.SetLength(size);
    }

    [Fact]
    public async Task Reads_and_writes_past_the_real_end_are_io_errors_not_zeros()
    {
        var path = Path.Combine(_dir, "backing.img");
        await using var volume = FileVolume.Create(path, 4 * MiB);
        var data = new byte[4096];
        Random.Shared.NextBytes(data);
        await volume.WriteAsync(3 * MiB, data, forceUnitAccess: true, Ct);

        Truncate(path, MiB);

        var read = await Assert.ThrowsAsync<VolumeException>(async () => await volume.ReadAsync(3 * MiB, new byte[4096], Ct));
        Assert.Equal(VolumeError.Io, read.Error);
        Assert.Contains("truncated", read.Message, StringComparison.Ordinal);
        var write = await Assert.ThrowsAsync<VolumeException>(async () => await volume.WriteAsync(2 * MiB, data, false, Ct));
        Assert.Equal(VolumeError.Io, write.Error);
        Assert.Equal(MiB, new FileInfo(path).Length); // the write did not silently extend the file again
        // Once noticed, the volume stays failed, also below the cut (on-io-error decides what follows).
        Assert.Contains("shrank", volume.Fault, StringComparison.Ordinal);
        await Assert.ThrowsAsync<VolumeException>(async () => await volume.ReadAsync(0, new byte[512], Ct));
    }

    [Fact]
    public async Task A_deleted_or_replaced_backing_is_reported_by_the_next_check()
    {
        var timeProvider = new FakeTimeProvider();
        var deleted = Path.Combine(_dir, "a.img");
        await using var a = FileVolume.Create(deleted, MiB);
        var faults = new List<string>();
        a.BackingFaulted += faults.Add;
        a.StartMonitoring(timeProvider, TimeSpan.FromSeconds(1));
        timeProvider.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(faults);
        File.Delete(deleted);
        timeProvider.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("was deleted while in use", Assert.Single(faults), StringComparison.Ordinal);
        await Assert.ThrowsAsync<VolumeException>(async () => await a.WriteAsync(0, new byte[512], false, Ct));

        var replaced = Path.Combine(_dir, "b.img");
        await using var b = FileVolume.Create(replaced, MiB);
        Assert.Null(b.CheckBacking());
        File.Move(replaced, replaced + ".old");
        File.WriteAllBytes(replaced, new byte[MiB]);
        Assert.Contains("is now another file", b.CheckBacking(), StringComparison.Ordinal);
    }
}
