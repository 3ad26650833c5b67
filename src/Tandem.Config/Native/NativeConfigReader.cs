using System.Text;
using Tandem.Core.Files;
using Tandem.Core.Model;

namespace Tandem.Config.Native;

/// <summary>
/// Reads the native <c>tandem.toml</c> (docs/configuration-native.md). Never throws on bad input:
/// every problem, including text that is not TOML at all, becomes a diagnostic with file, line and column.
/// </summary>
public static class NativeConfigReader
{
    /// <summary>The largest file accepted; a cluster configuration is a few kilobytes.</summary>
    public const int MaxFileBytes = 1 << 20;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a native configuration file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Facts about this machine.</param>
    /// <param name="diagnostics">Receives every finding, located by file, line and column.</param>
    /// <returns>The cluster; partial when there were errors.</returns>
    public static ClusterSpec Read(string path, ConfigOptions options, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var ctx = new NativeContext(path, options, diagnostics);
        string text;
        // Only a regular file, never more than the limit: a FIFO or /dev/zero is refused with its
        // name instead of hanging or exhausting memory (issue #18).
        var read = RegularFile.Read(path, MaxFileBytes, "the file");
        if (!read.Succeeded)
        {
            var hint = read.Status switch
            {
                RegularFileStatus.Missing => "pass the path of tandem.toml, or convert the classic files with 'tandem config convert'",
                RegularFileStatus.NotRegular => "put a regular file there; configuration is never read from a pipe or a device",
                _ => null,
            };
            ctx.Error(NativeCodes.Unreadable, TomlLocation.None, read.Problem, hint);
            return new ClusterSpec { Sources = [path] };
        }
        try
        {
            text = DecodeUtf8(read.Bytes, ctx);
        }
        catch (DecoderFallbackException)
        {
            return new ClusterSpec { Sources = [path] };
        }
        return new NativeSchemaReader(ctx, modeCheckPath: path).Read(text);
    }

    /// <summary>
    /// Reads native configuration text. Secrets written inline are not mode-checked here (there is no
    /// file to check); a <c>secret_file</c> still is.
    /// </summary>
    /// <param name="text">The TOML text.</param>
    /// <param name="fileName">The name used in diagnostics and as the base of relative paths.</param>
    /// <param name="options">Facts about this machine.</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <returns>The cluster; partial when there were errors.</returns>
    public static ClusterSpec Parse(string text, string fileName, ConfigOptions options, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var ctx = new NativeContext(fileName, options, diagnostics);
        if (text.Length > MaxFileBytes)
        {
            ctx.Error(NativeCodes.Unreadable, TomlLocation.None, $"the text is {text.Length} characters; at most {MaxFileBytes} are accepted");
            return new ClusterSpec { Sources = [fileName] };
        }
        return new NativeSchemaReader(ctx, modeCheckPath: null).Read(text);
    }

    private static string DecodeUtf8(byte[] bytes, NativeContext ctx)
    {
        try
        {
            var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            return s_strictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            // Point at the line of the first bad byte: count newlines before it.
            var offset = Math.Clamp(e.Index, 0, bytes.Length);
            var line = 1;
            var lineStart = 0;
            for (var i = 0; i < offset; i++)
            {
                if (bytes[i] == (byte)'\n')
                {
                    line++;
                    lineStart = i + 1;
                }
            }
            ctx.Error(NativeCodes.Unreadable, new TomlLocation(line, offset - lineStart + 1),
                "the file is not valid UTF-8 text", "TOML files must be UTF-8; is this a binary file?");
            throw;
        }
    }
}
