using System.Text;
using Tandem.Core.Files;
using Tandem.Core.Model;

namespace Tandem.Config.Native;

internal sealed partial class NativeSchemaReader
{
    /// <summary>The largest secret file read; a key is a line of text.</summary>
    private const int MaxSecretFileBytes = 64 * 1024;

    private static readonly Dictionary<string, AuthMethod> s_methods = new(StringComparer.Ordinal)
    {
        ["crc"] = AuthMethod.Crc,
        ["md5"] = AuthMethod.Md5,
        ["sha1"] = AuthMethod.Sha1,
        ["sha256"] = AuthMethod.Sha256,
        ["sha512"] = AuthMethod.Sha512,
    };

    private AuthSpec? ReadAuth(TableReader t)
    {
        var active = (int?)t.Integer("active", 0, 15, required: true);
        var keys = new List<AuthKey>();
        var seen = new Dictionary<int, TomlLocation>();
        var tables = t.TableArray("key", "[[auth.key]]");
        var anyInsecure = false;
        var anyBad = false;
        foreach (var k in tables)
        {
            var index = (int?)k.Integer("index", 0, 15, required: true);
            var method = k.Choice("method", s_methods, required: true);
            var secret = ReadSecret(k, "secret", "secret_file");
            k.Finish();
            if (index is null || method is null)
            {
                anyBad = true;
                continue;
            }
            if (seen.TryGetValue(index.Value, out var first))
            {
                ctx.Error(NativeCodes.Duplicate, k.Table.Find("index")!.Location, $"the key index {index} is defined twice (first at line {first.Line})");
                continue;
            }
            seen[index.Value] = k.Table.Find("index")!.Location;
            if (method == AuthMethod.Crc)
            {
                if (!ctx.Options.AllowInsecureAuth)
                {
                    ctx.Error(NativeCodes.InsecureAuth, k.Table.Find("method")!.Location,
                        "the crc method authenticates nothing: anyone on the network could forge cluster messages",
                        "use sha256 with a secret; crc is accepted only when insecure authentication is explicitly allowed");
                    continue;
                }
                if (secret.Present)
                {
                    ctx.Error(NativeCodes.Auth, secret.Where, "the crc method takes no secret");
                    continue;
                }
                anyInsecure = true;
                keys.Add(new AuthKey(index.Value, AuthMethod.Crc, ""));
                continue;
            }
            if (!secret.Present)
            {
                ctx.Error(NativeCodes.Auth, k.Location, $"the {method.Value.ToString().ToLowerInvariant()} key {index} needs 'secret' or 'secret_file'");
                continue;
            }
            if (secret.Value is { } value)
            {
                keys.Add(new AuthKey(index.Value, method.Value, value));
            }
        }
        t.Finish();
        if (tables.Count == 0 && t.Table.Find("key") is null)
        {
            ctx.Error(NativeCodes.Auth, t.Location, "[auth] defines no key", "add an [[auth.key]] table with index, method and secret");
            return null;
        }
        if (active is { } a && !seen.ContainsKey(a) && !anyBad)
        {
            ctx.Error(NativeCodes.Auth, t.Table.Find("active")!.Location, $"the active key {a} is not defined",
                seen.Count > 0 ? $"defined key indexes: {string.Join(", ", seen.Keys.Order())}" : null);
            return null;
        }
        return active is null || !keys.Any(k => k.Index == active) ? null : new AuthSpec(active.Value, keys) { AllowInsecure = anyInsecure };
    }

    /// <summary>A secret, inline or from a file. Present is true when either key was written, even if it was bad.</summary>
    private (bool Present, string? Value, TomlLocation Where) ReadSecret(TableReader t, string inlineKey, string fileKey)
    {
        var inline = t.String(inlineKey);
        var file = t.String(fileKey);
        var inlineNode = t.Table.Find(inlineKey);
        var fileNode = t.Table.Find(fileKey);
        if (inlineNode is not null && fileNode is not null)
        {
            ctx.Error(NativeCodes.Conflict, fileNode.Location, $"{t.Path} has both '{inlineKey}' and '{fileKey}'; keep one");
            return (true, null, fileNode.Location);
        }
        if (inline is not null)
        {
            NoteInlineSecret(inlineNode!.Location);
            return (true, inline, inlineNode.Location);
        }
        if (file is null)
        {
            return (inlineNode is not null || fileNode is not null, null, (inlineNode ?? fileNode)?.Location ?? t.Location);
        }
        var where = fileNode!.Location;
        var path = file;
        try
        {
            path = Path.IsPathRooted(file) ? file : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ctx.File)) ?? ".", file);
            // Only a regular file, never more than the limit: a FIFO or /dev/zero is refused with
            // its name instead of hanging or exhausting memory (issue #18).
            var read = RegularFile.Read(path, MaxSecretFileBytes, "the secret file");
            if (!read.Succeeded)
            {
                ctx.Error(NativeCodes.SecretFile, where, read.Problem);
                return (true, null, where);
            }
            CheckKeyFileMode(path, where);
            // One line of text; the newline an editor adds is not part of the secret.
            var value = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false)
                .GetString(read.Bytes).TrimEnd('\n', '\r');
            if (value.Length == 0)
            {
                ctx.Error(NativeCodes.SecretFile, where, $"the secret file {path} is empty");
                return (true, null, where);
            }
            _sources.Add(path);
            return (true, value, where);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            ctx.Error(NativeCodes.SecretFile, where, $"cannot read the secret file {TableReader.Clip(path)}: {e.Message}");
            return (true, null, where);
        }
    }
}
