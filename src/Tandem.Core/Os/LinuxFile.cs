using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tandem.Core.Os;

/// <summary>The few Linux file calls .NET does not expose (fdatasync, fallocate, lseek).</summary>
internal static class LinuxFile
{
    public const int FallocKeepSize = 0x01;
    public const int FallocPunchHole = 0x02;
    public const int FallocZeroRange = 0x10;

    public const int Eintr = 4;
    public const int Enospc = 28;
    public const int Eopnotsupp = 95;

    private const int SeekEnd = 2;

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FdatasyncNative(int fd);

    [DllImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static extern int FallocateNative(int fd, int mode, long offset, long length);

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long LseekNative(int fd, long offset, int whence);

    /// <summary>fdatasync(2); returns 0 or the errno.</summary>
    public static int Fdatasync(SafeFileHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            while (true)
            {
                if (FdatasyncNative(fd) == 0)
                {
                    return 0;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr)
                {
                    return errno;
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>fallocate(2); returns 0 or the errno.</summary>
    public static int Fallocate(SafeFileHandle handle, int mode, long offset, long length)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            while (true)
            {
                if (FallocateNative(fd, mode, offset, length) == 0)
                {
                    return 0;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr)
                {
                    return errno;
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The size of a file or block device (lseek to the end: st_size is 0 for devices).</summary>
    public static long GetSize(SafeFileHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var end = LseekNative((int)handle.DangerousGetHandle(), 0, SeekEnd);
            if (end < 0)
            {
                throw new IOException($"lseek failed: errno {Marshal.GetLastPInvokeError()}");
            }
            return end;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
