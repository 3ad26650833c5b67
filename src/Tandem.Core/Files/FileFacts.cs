using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tandem.Core.Os;

namespace Tandem.Core.Files;

/// <summary>
/// What the kernel says about an open file (statx(2) on the descriptor): its type, size and
/// identity. The identity (device and inode) tells a file from another one put at the same path;
/// a link count of 0 means the file was deleted while open.
/// </summary>
/// <param name="Kind">The file type.</param>
/// <param name="Size">st_size: the length of a regular file (0 for devices, see the volume's own size).</param>
/// <param name="DeviceMajor">The major number of the device holding the file.</param>
/// <param name="DeviceMinor">The minor number of the device holding the file.</param>
/// <param name="Inode">The inode number.</param>
/// <param name="LinkCount">The number of names the file has; 0 once it was deleted.</param>
/// <param name="Uid">The owner's user id.</param>
public readonly record struct FileFacts(FileKind Kind, long Size, uint DeviceMajor, uint DeviceMinor, ulong Inode, uint LinkCount, uint Uid)
{
    // struct statx (linux/stat.h), the same layout on every architecture (why statx and not fstat), native byte order:
    //   0 u32 mask | 4 u32 blksize | 8 u64 attributes | 16 u32 nlink | 20 u32 uid | 24 u32 gid
    //  28 u16 mode | 30 u16 pad | 32 u64 ino | 40 u64 size | 48 u64 blocks | 56 u64 attributes_mask
    //  64..127 four timestamps | 128 u32 rdev_major | 132 rdev_minor | 136 u32 dev_major | 140 dev_minor
    private const int StatxSize = 256;
    private const int AtEmptyPath = 0x1000;
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;
    private const int Eintr = 4;

    /// <summary>The device and inode as one string, for messages and metadata ("8:1/1234").</summary>
    public string Identity => $"{DeviceMajor}:{DeviceMinor}/{Inode}";

    /// <summary>Whether two facts name the same file (same device and inode).</summary>
    /// <param name="other">The other facts.</param>
    /// <returns>True when both are the same file.</returns>
    public bool IsSameFile(FileFacts other) =>
        DeviceMajor == other.DeviceMajor && DeviceMinor == other.DeviceMinor && Inode == other.Inode;

    /// <summary>Reads the facts of an open file.</summary>
    /// <param name="handle">The open file.</param>
    /// <param name="facts">The facts, when the call succeeded.</param>
    /// <returns>0, or the errno of statx.</returns>
    public static int TryGet(SafeFileHandle handle, out FileFacts facts)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return TryGet((int)handle.DangerousGetHandle(), out facts);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Reads the facts of the file a path names (following symbolic links), without opening it.</summary>
    /// <param name="path">The path.</param>
    /// <param name="facts">The facts, when the call succeeded.</param>
    /// <returns>0, or the errno of statx (13, EACCES, when a directory on the way may not be searched).</returns>
    public static int TryGet(string path, out FileFacts facts)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Statx(AtFdCwd, path, 0, out facts);
    }

    internal static int TryGet(int fd, out FileFacts facts) => Statx(fd, string.Empty, AtEmptyPath, out facts);

    private static int Statx(int dirfd, string path, int flags, out FileFacts facts)
    {
        var buffer = new byte[StatxSize];
        while (LibC.Statx(dirfd, path, flags, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Eintr)
            {
                facts = default;
                return errno;
            }
        }
        var b = buffer.AsSpan();
        var mode = MemoryMarshal.Read<ushort>(b[28..]);
        facts = new FileFacts(
            KindOf(mode),
            (long)MemoryMarshal.Read<ulong>(b[40..]),
            MemoryMarshal.Read<uint>(b[136..]),
            MemoryMarshal.Read<uint>(b[140..]),
            MemoryMarshal.Read<ulong>(b[32..]),
            MemoryMarshal.Read<uint>(b[16..]),
            MemoryMarshal.Read<uint>(b[20..]));
        return 0;
    }

    private static FileKind KindOf(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0x1000 => FileKind.Fifo,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0xC000 => FileKind.Socket,
        0xA000 => FileKind.SymbolicLink,
        _ => FileKind.Unknown,
    };
}
