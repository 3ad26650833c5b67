namespace Tandem.Resources.Tests.Support;

/// <summary>A file-backed loop device with a fresh ext4 file system, removed at the end (root only).</summary>
public sealed class LoopDevice : IDisposable
{
    private readonly TempDir _dir = new();

    public LoopDevice(string mountName = "mnt")
    {
        var image = _dir.File("disk.img");
        using (var f = File.Create(image))
        {
            f.SetLength(32L * 1024 * 1024);
        }
        Sh.Must("mkfs.ext4", "-q", "-F", image);
        Device = Sh.Must("losetup", "-f", "--show", image);
        MountPoint = Directory.CreateDirectory(_dir.File(mountName)).FullName;
    }

    public string Device { get; }

    public string MountPoint { get; }

    public void Dispose()
    {
        Sh.Run("umount", MountPoint);
        Sh.Run("losetup", "-d", Device);
        _dir.Dispose();
    }
}
