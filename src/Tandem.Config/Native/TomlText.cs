using System.Text;

namespace Tandem.Config.Native;

/// <summary>TOML literals for the writer: strings with every escape TOML needs, and keys.</summary>
internal static class TomlText
{
    /// <summary>A TOML basic string. Control characters are escaped; a lone surrogate (not Unicode) becomes U+FFFD.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\f': sb.Append("\\f"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20 || c == 0x7F)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        sb.Append(c).Append(value[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        sb.Append('\uFFFD');
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A key: bare when TOML allows it, quoted otherwise.</summary>
    public static string Key(string key)
    {
        if (key.Length == 0)
        {
            return "\"\"";
        }
        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-'))
            {
                return Quote(key);
            }
        }
        return key;
    }

    /// <summary>An array of strings on one line.</summary>
    public static string Array(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(Quote)) + "]";

    /// <summary>An inline table of strings on one line, in the given order.</summary>
    public static string InlineTable(IEnumerable<KeyValuePair<string, string>> values) =>
        "{ " + string.Join(", ", values.Select(kv => $"{Key(kv.Key)} = {Quote(kv.Value)}")) + " }";
}
