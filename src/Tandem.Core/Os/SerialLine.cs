using System.Runtime.InteropServices;

namespace Tandem.Core.Os;

/// <summary>
/// The libc calls of a serial heartbeat line: raw, non-blocking file I/O with poll and termios,
/// which <see cref="System.IO.Ports"/> does not offer on Linux without a package.
/// </summary>
public static partial class SerialLine
{
    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        /// <summary>The descriptor.</summary>
        public int Fd;

        /// <summary>The events asked for (POLLIN = 1).</summary>
        public short Events;

        /// <summary>The events that happened.</summary>
        public short Revents;
    }

    /// <summary>open(2).</summary>
    /// <param name="path">The device.</param>
    /// <param name="flags">O_* flags.</param>
    /// <returns>The descriptor, or -1 (errno in the last P/Invoke error).</returns>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    /// <summary>close(2).</summary>
    /// <param name="fd">The descriptor.</param>
    /// <returns>0 or -1.</returns>
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>read(2).</summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="buffer">Where to read to.</param>
    /// <param name="count">At most this many bytes.</param>
    /// <returns>Bytes read, 0 at the end, or -1.</returns>
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, [Out] byte[] buffer, nint count);

    /// <summary>write(2).</summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="buffer">What to write.</param>
    /// <param name="count">How many bytes of it.</param>
    /// <returns>Bytes written, or -1.</returns>
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, ReadOnlySpan<byte> buffer, nint count);

    /// <summary>poll(2).</summary>
    /// <param name="fds">The descriptors and events.</param>
    /// <param name="count">How many of them.</param>
    /// <param name="timeoutMs">How long to wait.</param>
    /// <returns>How many are ready, 0 on timeout, or -1.</returns>
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll([In, Out] PollFd[] fds, nuint count, int timeoutMs);

    /// <summary>tcgetattr(3).</summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="termios">A buffer the size of struct termios (or larger).</param>
    /// <returns>0, or -1 (not a tty).</returns>
    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int TcGetAttr(int fd, [Out] byte[] termios);

    /// <summary>tcsetattr(3).</summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="when">TCSANOW (0), ...</param>
    /// <param name="termios">The settings.</param>
    /// <returns>0 or -1.</returns>
    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int TcSetAttr(int fd, int when, byte[] termios);

    /// <summary>cfmakeraw(3).</summary>
    /// <param name="termios">The settings to make raw.</param>
    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    public static partial void CfMakeRaw([In, Out] byte[] termios);

    /// <summary>cfsetspeed(3).</summary>
    /// <param name="termios">The settings.</param>
    /// <param name="speed">The B* speed constant.</param>
    /// <returns>0 or -1.</returns>
    [LibraryImport("libc", EntryPoint = "cfsetspeed")]
    public static partial int CfSetSpeed([In, Out] byte[] termios, int speed);
}
