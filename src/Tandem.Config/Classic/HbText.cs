using System.Text;
using Tandem.Core.Files;

namespace Tandem.Config.Classic;

/// <summary>Reading and splitting the line-oriented classic files, defensively.</summary>
internal static class HbText
{
    /// <summary>The longest line read; longer ones are reported and skipped.</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>The largest file read; a configuration file is a few kilobytes.</summary>
    public const long MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Reads a file as text. Invalid UTF-8 becomes U+FFFD, which <see cref="Lines"/> then reports
    /// with its line, so that one bad byte does not hide the rest of the file.
    /// </summary>
    /// <returns>The text, or null (with an error) when the file cannot be read.</returns>
    public static string? TryRead(string path, HbTextCodes codes, DiagnosticBag diagnostics, string what)
    {
        // Only a regular file is read, and never more than the limit: a FIFO or /dev/zero put
        // where a configuration file belongs is refused with its name (issue #18).
        var read = RegularFile.Read(path, MaxFileBytes, what);
        if (read.Succeeded)
        {
            return Decode(read.Bytes);
        }
        var hint = read.Status switch
        {
            RegularFileStatus.Directory => $"point Tandem at the directory holding {Path.GetFileName(path)} (--ha-dir)",
            RegularFileStatus.Missing => "create it, or point Tandem at the directory that holds it (--ha-dir)",
            RegularFileStatus.NotRegular => "put a regular file there; configuration is never read from a pipe or a device",
            RegularFileStatus.TooLarge => "check that this is the right file; a configuration file is a few kilobytes",
            _ => "check that the file exists and that Tandem runs as root",
        };
        diagnostics.Error(codes.Missing, path, 0, 0, read.Problem, hint);
        return null;
    }

    /// <summary>Decodes bytes as UTF-8 without a byte order mark; invalid sequences become U+FFFD.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    /// <summary>
    /// Splits text into lines (LF, with an optional CR before it), reporting and skipping lines
    /// that are too long or hold characters no configuration file contains.
    /// </summary>
    /// <returns>Each usable line with its 1-based number.</returns>
    public static IEnumerable<(int Number, string Text)> Lines(string text, HbFileReport report, HbTextCodes codes)
    {
        var number = 0;
        var start = 0;
        while (start <= text.Length && !report.Stopped)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }
            number++;
            var length = end - start;
            if (length > 0 && text[end - 1] == '\r')
            {
                length--;
            }
            if (length > MaxLineLength)
            {
                report.Error(codes.LineTooLong, number, MaxLineLength + 1,
                    $"line {number} is {length} characters long; lines are limited to {MaxLineLength} characters, and this one was skipped",
                    "check that this is a text configuration file; split the line if it is really meant to be this long");
            }
            else
            {
                var line = text.Substring(start, length);
                var bad = FindBadCharacter(line);
                if (bad >= 0)
                {
                    var what = line[bad] switch
                    {
                        '\0' => "a NUL byte",
                        '\uFFFD' => "invalid UTF-8",
                        _ => $"the control character U+{(int)line[bad]:X4}",
                    };
                    report.Error(codes.BadText, number, bad + 1,
                        $"line {number} holds {what} at column {bad + 1}; the line was skipped",
                        "configuration files are plain UTF-8 text; check the file was not corrupted or saved in another encoding");
                }
                else
                {
                    yield return (number, line);
                }
            }
            if (end == text.Length)
            {
                yield break;
            }
            start = end + 1;
        }
    }

    /// <summary>Splits a line into whitespace-separated words (space and tab), with their columns.</summary>
    public static List<HbToken> Tokenize(string line, int lineNumber)
    {
        var tokens = new List<HbToken>();
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && IsBlank(line[i]))
            {
                i++;
            }
            if (i == line.Length)
            {
                break;
            }
            var begin = i;
            while (i < line.Length && !IsBlank(line[i]))
            {
                i++;
            }
            tokens.Add(new HbToken(line[begin..i], lineNumber, begin + 1));
        }
        return tokens;
    }

    /// <summary>Cuts a line at the first <c>#</c>.</summary>
    public static string StripComment(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? line : line[..hash];
    }

    /// <summary>The best suggestion for a mistyped word, or null when none is close.</summary>
    public static string? DidYouMean(string word, IEnumerable<string> candidates)
    {
        if (word.Length > 64)
        {
            return null; // the edit distance of a long token is both meaningless and quadratic
        }
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            if (string.Equals(candidate, word, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
            var d = EditDistance.Levenshtein(word.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }
        var allowed = Math.Max(1, Math.Min(3, word.Length / 3));
        return bestDistance <= allowed ? best : null;
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\v' or '\f' or '\r';

    private static int FindBadCharacter(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\uFFFD' || (char.IsControl(c) && c is not '\t' and not '\v' and not '\f' and not '\r'))
            {
                return i;
            }
        }
        return -1;
    }

}
