using System.Runtime.InteropServices;

namespace Tandem.Core.Os;

/// <summary>The libc calls the daemon needs that .NET does not expose: a pid file lock, and who we run as.</summary>
public static partial class LibC
{
    /// <summary>flock: exclusive lock.</summary>
    public const int LOCK_EX = 2;

    /// <summary>flock: do not block.</summary>
    public const int LOCK_NB = 4;

    /// <summary>open: read only.</summary>
    public const int O_RDONLY = 0x0;

    /// <summary>open: read and write.</summary>
    public const int O_RDWR = 0x2;

    /// <summary>open: create when missing.</summary>
    public const int O_CREAT = 0x40;

    /// <summary>open: close on exec, so that children do not inherit (and hold) the descriptor.</summary>
    public const int O_CLOEXEC = 0x80000;

    /// <summary>errno: the lock is held elsewhere.</summary>
    public const int EWOULDBLOCK = 11;

    /// <summary>errno: interrupted by a signal.</summary>
    public const int EINTR = 4;

    /// <summary>getsockopt level of socket options.</summary>
    public const int SOL_SOCKET = 1;

    /// <summary>getsockopt: the peer's credentials on a Unix socket.</summary>
    public const int SO_PEERCRED = 17;

    /// <summary>open(2).</summary>
    /// <param name="path">The path.</param>
    /// <param name="flags">O_* flags.</param>
    /// <param name="mode">The mode of a created file.</param>
    /// <returns>The descriptor, or -1 (errno in the last P/Invoke error).</returns>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    /// <summary>flock(2).</summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="operation">LOCK_* flags.</param>
    /// <returns>0, or -1 (errno in the last P/Invoke error).</returns>
    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    /// <summary>geteuid(2): the effective user id of this process.</summary>
    /// <returns>The uid.</returns>
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    /// <summary>
    /// True when this process runs as root (effective uid 0): the one root check of Tandem, for the
    /// operations that need it (kernel NBD, loop devices, namespaces, real-time scheduling).
    /// </summary>
    public static bool IsRoot => GetEffectiveUserId() == 0;
}
