using Tandem.Core.Model;

namespace Tandem.Config.Classic;

/// <summary>
/// Reads Heartbeat's <c>authkeys</c>: <c>auth N</c> picks the signing key, <c>N METHOD [KEY]</c>
/// defines key N (0 to 15). Methods: <c>sha1</c>, <c>md5</c>, <c>crc</c> (Heartbeat's) and
/// <c>sha256</c>, <c>sha512</c> (Tandem's). Secrets never appear in a diagnostic. Codes
/// <c>AUTH001</c>..; see docs/configuration-classic-heartbeat.md.
/// </summary>
public static class AuthKeysReader
{
    internal static readonly HbTextCodes Codes = new("AUTH001", "AUTH003", "AUTH004", "AUTH018");

    /// <summary>The highest key index (Heartbeat's MAXAUTH is 16).</summary>
    public const int MaxIndex = 15;

    /// <summary>Reads an <c>authkeys</c> file, refusing it when group or others can read it.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Whether insecure methods are allowed and whether the mode is checked.</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <returns>The keys, or null when the file is refused or unusable.</returns>
    public static AuthSpec? Read(string path, ConfigOptions options, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(diagnostics);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            diagnostics.Error("AUTH001", path, 0, 0, $"Heartbeat's authkeys '{path}' does not exist: cluster messages cannot be authenticated",
                $"create it with 'auth 1' and '1 sha1 SECRET' (the same on every node), then 'chmod 600 {path}'");
            return null;
        }
        if (!options.SkipKeyFileModeCheck && !OperatingSystem.IsWindows() && File.Exists(path))
        {
            try
            {
                var mode = File.GetUnixFileMode(path);
                if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
                {
                    diagnostics.Error("AUTH002", path, 0, 0,
                        $"Bad permissions on keyfile [{path}], 600 recommended. Anyone who can read it can forge cluster messages, so it is refused",
                        $"chmod 600 {path}");
                    return null;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                diagnostics.Error("AUTH001", path, 0, 0, $"cannot read the mode of '{path}': {e.Message}", "check that Tandem runs as root");
                return null;
            }
        }
        var text = HbText.TryRead(path, Codes, diagnostics, "Heartbeat's authkeys");
        return text is null ? null : Parse(text, path, options.AllowInsecureAuth, diagnostics);
    }

    /// <summary>Parses the text of an <c>authkeys</c> file (no mode check).</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="fileName">The name used in diagnostics.</param>
    /// <param name="allowInsecure">True to accept the unkeyed <c>crc</c> method (with a warning).</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <returns>The keys, or null when there were errors.</returns>
    public static AuthSpec? Parse(string text, string fileName, bool allowInsecure, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var report = new HbFileReport(diagnostics, fileName, Codes.TooManyErrors);
        var keys = new List<AuthKey>();
        var keyLines = new Dictionary<int, int>();
        var refused = new HashSet<int>(); // keys with an error of their own: 'auth N' naming them adds nothing
        int? active = null;
        HbToken activeAt = default;
        var insecure = false;
        foreach (var (number, line) in HbText.Lines(text, report, Codes))
        {
            // Heartbeat treats '#' as a comment only at the start of a line: a key may contain '#'.
            var tokens = HbText.Tokenize(line, number);
            if (tokens.Count == 0 || tokens[0].Text.StartsWith('#'))
            {
                continue;
            }
            var first = tokens[0];
            if (first.Text == "auth")
            {
                if (tokens.Count != 2)
                {
                    report.Error("AUTH005", number, first.Column,
                        tokens.Count == 1 ? "'auth' needs the index of the key that signs messages" : "'auth' takes one index, nothing more",
                        "write 'auth 1' to sign with key 1");
                    continue;
                }
                if (!HbNames.TryParseInt(tokens[1].Text, 0, MaxIndex, out var index))
                {
                    report.Error("AUTH006", number, tokens[1].Column,
                        $"'auth {HbNames.Quote(tokens[1].Text)}': the key index must be a number from 0 to {MaxIndex}",
                        "write 'auth 1' to sign with key 1");
                    continue;
                }
                if (active is not null)
                {
                    report.Error("AUTH014", number, first.Column, $"a second 'auth' line (the first is on line {activeAt.Line})",
                        "keep one 'auth N' line");
                    continue;
                }
                active = index;
                activeAt = tokens[1];
                continue;
            }
            if (!first.Text.All(char.IsAsciiDigit))
            {
                // The line is not echoed: it may hold a secret.
                report.Error("AUTH005", number, first.Column,
                    "expected 'auth N' or 'N METHOD KEY' (the line's text is not shown: it may hold a secret)",
                    "each line is 'auth N', 'N sha1 SECRET' or a comment starting with '#'");
                continue;
            }
            if (!HbNames.TryParseInt(first.Text, 0, MaxIndex, out var keyIndex))
            {
                report.Error("AUTH006", number, first.Column, $"key index {HbNames.Quote(first.Text)} is out of range: expected 0 to {MaxIndex}",
                    "number the keys from 1; Heartbeat allows at most 16");
                continue;
            }
            refused.Add(keyIndex); // until the line is accepted below
            if (tokens.Count < 2)
            {
                report.Error("AUTH007", number, first.Column + first.Text.Length, $"key {keyIndex} has no method: expected 'N METHOD KEY'",
                    $"write '{keyIndex} sha1 SECRET' (or sha256)");
                continue;
            }
            var methodToken = tokens[1];
            AuthMethod method;
            if (methodToken.Text != methodToken.Text.ToLowerInvariant()
                && methodToken.Text.ToLowerInvariant() is "sha1" or "md5" or "crc" or "sha256" or "sha512")
            {
                // Heartbeat loads the method as a plugin of that exact name: SHA1 is no plugin.
                report.Error("AUTH007", number, methodToken.Column,
                    $"Invalid authtype [{methodToken.Text}]: method names are lower-case",
                    $"write '{keyIndex} {methodToken.Text.ToLowerInvariant()} SECRET'");
                continue;
            }
            switch (methodToken.Text)
            {
                case "sha1": method = AuthMethod.Sha1; break;
                case "md5": method = AuthMethod.Md5; break;
                case "crc": method = AuthMethod.Crc; break;
                case "sha256": method = AuthMethod.Sha256; break;
                case "sha512": method = AuthMethod.Sha512; break;
                default:
                    report.Error("AUTH007", number, methodToken.Column,
                        $"key {keyIndex}: unknown method (not shown, in case it is a misplaced secret): expected sha1, md5, crc, sha256 or sha512",
                        "sha1 works with Heartbeat; sha256 is Tandem's stronger choice");
                    continue;
            }
            if (keyLines.TryGetValue(keyIndex, out var previous))
            {
                report.Error("AUTH013", number, first.Column, $"key {keyIndex} is defined twice (first on line {previous})",
                    "give each key its own index");
                continue;
            }
            if (method == AuthMethod.Crc)
            {
                if (tokens.Count > 2)
                {
                    report.Error("AUTH008", number, tokens[2].Column, $"key {keyIndex}: crc takes no key (it is an unkeyed checksum)",
                        $"use '{keyIndex} sha1 SECRET' to authenticate with that secret, or remove the key after crc");
                    continue;
                }
                if (!allowInsecure)
                {
                    report.Error("AUTH010", number, methodToken.Column,
                        $"key {keyIndex} uses crc, which authenticates nothing: anyone on the network could forge cluster messages",
                        $"use '{keyIndex} sha1 SECRET' (or sha256); to run with crc anyway, start Tandem with --allow-insecure-auth");
                    continue;
                }
                report.Warning("AUTH011", number, methodToken.Column,
                    $"key {keyIndex} uses crc (allowed by --allow-insecure-auth): cluster messages are not authenticated",
                    $"switch to '{keyIndex} sha1 SECRET' (or sha256) on every node");
                insecure = true;
                refused.Remove(keyIndex);
                keyLines[keyIndex] = number;
                keys.Add(new AuthKey(keyIndex, method, ""));
                continue;
            }
            if (tokens.Count < 3)
            {
                report.Error("AUTH009", number, methodToken.Column + methodToken.Text.Length,
                    $"key {keyIndex}: {methodToken.Text.ToLowerInvariant()} needs a key",
                    $"write '{keyIndex} {methodToken.Text.ToLowerInvariant()} SECRET' with the same secret on every node (for example from 'openssl rand -hex 32')");
                continue;
            }
            if (tokens.Count > 3)
            {
                report.Warning("AUTH015", number, tokens[3].Column,
                    $"key {keyIndex}: text after the key is ignored (a key is one word; Heartbeat uses only the first word too)",
                    "remove the spaces from the secret, or remove the trailing text");
            }
            refused.Remove(keyIndex);
            keyLines[keyIndex] = number;
            keys.Add(new AuthKey(keyIndex, method, tokens[2].Text));
        }
        if (report.Stopped)
        {
            return null;
        }
        if (active is null)
        {
            report.Error("AUTH012", 0, 0, "no 'auth N' line: which key signs messages is not said",
                keys.Count > 0 ? $"add 'auth {keys[0].Index}'" : "add 'auth 1' and '1 sha1 SECRET'");
        }
        else if (keyLines.TryGetValue(active.Value, out var keyAt) && keyAt < activeAt.Line)
        {
            // Heartbeat takes a key as the signing key only when it reads it after 'auth N'.
            report.Error("AUTH017", keyAt, 1,
                $"Auth Key [{active}] not found in keyfile: key {active} comes before the 'auth {active}' line (line {activeAt.Line}), and Heartbeat takes the signing key only from the lines after it",
                "put the 'auth N' line first, then the key lines");
        }
        else if (!keyLines.ContainsKey(active.Value) && !refused.Contains(active.Value))
        {
            report.Error("AUTH016", activeAt.Line, activeAt.Column, $"'auth {active}' names key {active}, which is not defined"
                + (keys.Count > 0 ? $" (defined: {string.Join(", ", keys.Select(k => k.Index))})" : ""),
                $"add a line '{active} sha1 SECRET', or change the auth line to a defined index");
        }
        if (report.ErrorCount > 0 || active is null)
        {
            return null;
        }
        return new AuthSpec(active.Value, keys) { AllowInsecure = insecure };
    }
}
