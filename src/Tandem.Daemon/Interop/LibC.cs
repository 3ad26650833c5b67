using System.Runtime.InteropServices;

namespace Tandem.Daemon.Interop;

/// <summary>The few libc calls the daemon needs that .NET does not expose.</summary>
internal static partial class LibC
{
    internal const int LOCK_EX = 2;
    internal const int LOCK_NB = 4;
    internal const int O_RDONLY = 0x0;
    internal const int O_RDWR = 0x2;
    internal const int O_CREAT = 0x40;
    internal const int O_CLOEXEC = 0x80000;
    internal const int EWOULDBLOCK = 11;
    internal const int EINTR = 4;
    internal const int SOL_SOCKET = 1;
    internal const int SO_PEERCRED = 17;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();
}
