using System.Text;
using Tandem.Config.Classic.Drbd;
using Tandem.Core.Files;
using Tandem.Core.Model;

namespace Tandem.Config.Classic;

/// <summary>Reads DRBD's <c>drbd.conf</c> (with its <c>include</c> globs) into replicated resources.</summary>
public static class DrbdConfReader
{
    /// <summary>The largest file read (drbd.conf files are a few KiB; this only stops a wrong path from eating memory).</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Reads a drbd.conf and everything it includes.</summary>
    /// <param name="path">The top-level file.</param>
    /// <param name="diagnostics">Receives every finding, located by file, line and column.</param>
    /// <returns>The resources; partial when there were errors.</returns>
    public static IReadOnlyList<ReplicatedResourceSpec> Read(string path, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(diagnostics);
        string? text;
        try
        {
            text = ReadFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidDataException)
        {
            diagnostics.Error(DrbdCodes.CannotRead, path, 0, 0, $"cannot read drbd.conf: {ex.Message}",
                "check the path of drbd.conf and the file's permissions");
            return [];
        }
        if (text is null)
        {
            diagnostics.Error(DrbdCodes.CannotRead, path, 0, 0, "drbd.conf does not exist", "check the path of drbd.conf");
            return [];
        }
        return DrbdConf.Parse(text, path, diagnostics, ReadFile, ListDirectory);
    }

    // Null when the file does not exist; throws for any other failure so that the parser can say why.
    private static string? ReadFile(string path)
    {
        // Only a regular file, never more than the limit: a FIFO or /dev/zero as drbd.conf or as an
        // include is refused with its name instead of hanging or exhausting memory (issue #18).
        var read = RegularFile.Read(path, MaxFileBytes, "the file");
        return read.Status switch
        {
            RegularFileStatus.Read => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(read.Bytes),
            RegularFileStatus.Missing => null,
            _ => throw new InvalidDataException(read.Problem),
        };
    }

    private static IEnumerable<string>? ListDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return null;
        }
        return Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().ToList();
    }
}
