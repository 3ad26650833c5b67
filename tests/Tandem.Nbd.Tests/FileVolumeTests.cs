using Tandem.Core.Volumes;

namespace Tandem.Nbd.Tests;

public sealed class FileVolumeTests
{
    [Fact]
    public async Task Writes_read_back_and_zeroing_and_trim_work()
    {
        var dir = TestServer.TempDirectory();
        try
        {
            await using var volume = FileVolume.Create(Path.Combine(dir, "v.img"), 8 << 20);
            var ct = TestContext.Current.CancellationToken;
            Assert.Equal(8L << 20, volume.Size);
            var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
            await volume.WriteAsync(12345, data, forceUnitAccess: true, ct);
            var back = new byte[data.Length];
            await volume.ReadAsync(12345, back, ct);
            Assert.Equal(data, back);

            Assert.True(await volume.WriteZeroesAsync(12345, 5000, WriteZeroesFlags.NoHole, ct));
            await volume.ReadAsync(12345, back, ct);
            Assert.All(back.AsSpan(0, 5000).ToArray(), b => Assert.Equal(0, b));
            Assert.Equal(data[5000..], back[5000..]);

            await volume.TrimAsync(0, 1 << 20, forceUnitAccess: false, ct);
            await volume.FlushAsync(ct);

            var past = await Assert.ThrowsAsync<VolumeException>(async () => await volume.WriteAsync((8 << 20) - 2, new byte[4], false, ct));
            Assert.Equal(VolumeError.Invalid, past.Error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_read_only_volume_refuses_writes()
    {
        var dir = TestServer.TempDirectory();
        try
        {
            var path = Path.Combine(dir, "v.img");
            await FileVolume.Create(path, 1 << 20).DisposeAsync();
            await using var volume = FileVolume.Open(path, readOnly: true);
            Assert.True(volume.Features.HasFlag(VolumeFeatures.ReadOnly));
            var ex = await Assert.ThrowsAsync<VolumeException>(async () => await volume.WriteAsync(0, new byte[1], false, TestContext.Current.CancellationToken));
            Assert.Equal(VolumeError.ReadOnly, ex.Error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_volume_that_tracks_growth_sees_a_grown_file_and_one_that_does_not_keeps_its_size()
    {
        var dir = TestServer.TempDirectory();
        try
        {
            var path = Path.Combine(dir, "v.img");
            var ct = TestContext.Current.CancellationToken;
            await using var tracking = FileVolume.Create(path, 1 << 20);
            tracking.TracksGrowth = true;
            await using var fixedSize = FileVolume.Open(path);
            using (var grow = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            {
                grow.SetLength(2 << 20);
            }
            Assert.Equal(1L << 20, fixedSize.Size);
            Assert.Equal(2L << 20, tracking.Size);
            await tracking.WriteAsync((2 << 20) - 4, new byte[4], false, ct); // inside the grown area
            await Assert.ThrowsAsync<VolumeException>(async () => await fixedSize.WriteAsync((2 << 20) - 4, new byte[4], false, ct));
            Assert.Equal(2L << 20, fixedSize.RefreshSize());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
