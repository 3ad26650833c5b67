using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tandem.Core.Os;

namespace Tandem.Core.Files;

/// <summary>
/// Reads a configuration, key, certificate or secret file: only a regular file, only up to a limit.
/// </summary>
/// <remarks>
/// Issue #18 item 7: a FIFO put where a configuration file is expected made every reader wait for
/// a writer forever (open(2) of a FIFO blocks), and /dev/zero made a reader that trusted the
/// length (0 for a device) allocate until it ran out of memory. The file is opened with
/// O_NONBLOCK (so that opening a FIFO returns at once), its type is taken from the open descriptor
/// (no window between the check and the read), and at most the limit plus one byte is read
/// whatever the length says.
/// </remarks>
public static class RegularFile
{
    private const int ORdOnly = 0x0;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int Enoent = 2;
    private const int Eintr = 4;
    private const int Enxio = 6;
    private const int Eacces = 13;
    private const int Enotdir = 20;
    private const int Eisdir = 21;
    private const int Eperm = 1;
    private const int Eloop = 40;

    /// <summary>Reads a whole regular file of at most <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest accepted size.</param>
    /// <param name="what">What the file is, for the message ("the secret file", "Heartbeat's authkeys").</param>
    /// <returns>The bytes, or why the file was refused.</returns>
    public static RegularFileRead Read(string path, long maxBytes, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        ArgumentNullException.ThrowIfNull(what);
        int fd;
        while ((fd = LibC.Open(path, ORdOnly | ONonBlock | OCloExec | ONoCtty, 0)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Eintr)
            {
                continue;
            }
            return errno switch
            {
                Enoent or Enotdir => Fail(RegularFileStatus.Missing, $"{what} '{path}' does not exist"),
                Eacces or Eperm => Fail(RegularFileStatus.Denied, $"permission to read {what} '{path}' was refused"),
                Eisdir => Fail(RegularFileStatus.Directory, $"{what} '{path}' is a directory, not a file"),
                // open(2) of a Unix socket fails with ENXIO.
                Enxio => Fail(RegularFileStatus.NotRegular, $"{what} '{path}' is a socket or a device without a driver, not a regular file"),
                Eloop => Fail(RegularFileStatus.Failed, $"{what} '{path}' is a loop of symbolic links"),
                _ => Fail(RegularFileStatus.Failed, $"cannot open {what} '{path}' (errno {errno})"),
            };
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var statErrno = FileFacts.TryGet(handle, out var facts);
        if (statErrno != 0)
        {
            return Fail(RegularFileStatus.Failed, $"cannot examine {what} '{path}' (errno {statErrno})");
        }
        if (facts.Kind != FileKind.Regular)
        {
            return facts.Kind == FileKind.Directory
                ? Fail(RegularFileStatus.Directory, $"{what} '{path}' is a directory, not a file")
                : Fail(RegularFileStatus.NotRegular, $"{what} '{path}' is {Describe(facts.Kind)}, not a regular file");
        }
        if (facts.Size > maxBytes)
        {
            return Fail(RegularFileStatus.TooLarge, $"{what} '{path}' is {facts.Size} bytes; at most {maxBytes} are accepted");
        }
        try
        {
            // Read up to one byte past the limit: a file that grows while read is still bounded.
            var buffer = new byte[(int)Math.Min(maxBytes + 1, Math.Max(facts.Size + 1, 4096))];
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total > maxBytes)
                    {
                        return Fail(RegularFileStatus.TooLarge, $"{what} '{path}' is larger than {maxBytes} bytes");
                    }
                    Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                }
                var n = RandomAccess.Read(handle, buffer.AsSpan(total), total);
                if (n <= 0)
                {
                    break;
                }
                total += n;
            }
            if (total > maxBytes)
            {
                return Fail(RegularFileStatus.TooLarge, $"{what} '{path}' is larger than {maxBytes} bytes");
            }
            Array.Resize(ref buffer, total);
            return new RegularFileRead(RegularFileStatus.Read, buffer, string.Empty);
        }
        catch (UnauthorizedAccessException)
        {
            return Fail(RegularFileStatus.Denied, $"permission to read {what} '{path}' was refused");
        }
        catch (IOException e)
        {
            return Fail(RegularFileStatus.Failed, $"cannot read {what} '{path}': {e.Message}");
        }
    }

    /// <summary>A phrase for a file type ("a FIFO (named pipe)").</summary>
    /// <param name="kind">The type.</param>
    /// <returns>The phrase, with its article.</returns>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        FileKind.SymbolicLink => "a symbolic link",
        _ => "a special file",
    };

    private static RegularFileRead Fail(RegularFileStatus status, string problem) => new(status, [], problem);
}
