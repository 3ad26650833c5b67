using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tandem.Core.Os;

namespace Tandem.Daemon.Hosting;

/// <summary>
/// The exclusive claim of a daemon on its run directory: an <c>flock</c> held on
/// <c>RUN_DIR/tandem.pid</c> for the daemon's whole life, with the pid written inside. The kernel
/// drops the lock when the process dies, so a pid file left by a killed daemon never blocks a
/// restart; only a live holder does.
/// </summary>
internal sealed class PidFileLock : IDisposable
{
    private readonly SafeFileHandle _handle;
    private bool _disposed;

    private PidFileLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The pid file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock and writes this process's pid into the file.</summary>
    /// <param name="path">The pid file.</param>
    /// <returns>The held lock.</returns>
    /// <exception cref="DaemonAlreadyRunningException">Another live process holds the lock.</exception>
    /// <exception cref="DaemonStartException">The file cannot be opened or locked.</exception>
    public static PidFileLock Acquire(string path)
    {
        // A holder unlinks the file at exit while still holding the lock; if we opened the old
        // inode just before that, our lock would be on a file nobody else sees. Detect it and retry.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var fd = LibC.Open(path, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, 0b110_100_100);
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new DaemonStartException(
                    $"cannot open the pid file {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}); is the run directory writable?");
            }
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (!TryLock(fd, out var lockErrno))
            {
                var holder = ReadPid(handle);
                handle.Dispose();
                if (lockErrno != LibC.EWOULDBLOCK)
                {
                    throw new DaemonStartException(
                        $"cannot lock the pid file {path}: {Marshal.GetPInvokeErrorMessage(lockErrno)} (errno {lockErrno})");
                }
                throw new DaemonAlreadyRunningException(path, holder);
            }
            if (IsUnlinked(fd))
            {
                handle.Dispose();
                continue;
            }
            var text = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, text, 0);
            return new PidFileLock(path, handle);
        }
        throw new DaemonStartException($"the pid file {path} keeps being replaced while it is locked; is another daemon starting and stopping?");
    }

    /// <summary>Reads the pid recorded in a pid file without locking it.</summary>
    /// <param name="path">The pid file.</param>
    /// <returns>The pid, or null when the file is missing or holds no number.</returns>
    public static int? ReadPid(string path)
    {
        // Not File.ReadAllText: .NET takes a shared flock when it opens a file, which fails while
        // the daemon holds its exclusive one. A plain open(2) reads it the way cat does.
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return null;
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            return ReadPid(handle);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Removes the pid file, then releases the lock.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            // Unlink while still holding the lock, so that no starting daemon can lock this inode
            // and believe it owns the directory after we are gone (Acquire checks for unlinked files).
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file may have been removed by an operator; the lock is released below either way.
        }
        _handle.Dispose();
    }

    private static bool TryLock(int fd, out int errno)
    {
        while (true)
        {
            if (LibC.Flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) == 0)
            {
                errno = 0;
                return true;
            }
            errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return false;
            }
        }
    }

    private static bool IsUnlinked(int fd)
    {
        var target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        return target is not null && target.EndsWith(" (deleted)", StringComparison.Ordinal);
    }

    private static int? ReadPid(SafeFileHandle handle)
    {
        var buffer = new byte[32];
        var n = RandomAccess.Read(handle, buffer, 0);
        return ParsePid(Encoding.ASCII.GetString(buffer, 0, n));
    }

    private static int? ParsePid(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
}
