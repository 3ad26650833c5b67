using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Tandem.Core.Model;

namespace Tandem.Config.Tests.Native;

/// <summary>
/// Structural equality for <see cref="ClusterSpec"/>. Records compare their lists and dictionaries by
/// reference, so two specs read from the same text are never Equal; this writes a canonical text of
/// every public property instead (runtime types, dictionaries sorted by key) and compares that.
/// <see cref="ClusterSpec.Sources"/> is left out: it says where a spec came from, not what it is.
/// </summary>
public static class SpecCanon
{
    public static string Canonical(ClusterSpec spec)
    {
        var sb = new StringBuilder();
        Write(sb, spec with { Sources = [] }, 0);
        return sb.ToString();
    }

    public static bool Equal(ClusterSpec a, ClusterSpec b) => Canonical(a) == Canonical(b);

    /// <summary>Asserts equality, showing the first line that differs.</summary>
    public static void AssertEqual(ClusterSpec expected, ClusterSpec actual, string? context = null)
    {
        var e = Canonical(expected);
        var a = Canonical(actual);
        if (e == a)
        {
            return;
        }
        var el = e.Split('\n');
        var al = a.Split('\n');
        var i = 0;
        while (i < el.Length && i < al.Length && el[i] == al[i])
        {
            i++;
        }
        Xunit.Assert.Fail($"specs differ at canonical line {i + 1}:\n  expected: {(i < el.Length ? el[i] : "<end>")}\n  actual:   {(i < al.Length ? al[i] : "<end>")}\n{context}");
    }

    private static void Write(StringBuilder sb, object? value, int depth)
    {
        var indent = new string(' ', depth * 2);
        switch (value)
        {
            case null:
                sb.Append("null");
                return;
            case string s:
                sb.Append(JsonSerializer.Serialize(s));
                return;
            case bool or int or long or Enum:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            case TimeSpan t:
                sb.Append(t.Ticks.ToString(CultureInfo.InvariantCulture)).Append("ticks");
                return;
            case IEnumerable<KeyValuePair<string, string>> map:
                sb.Append("{\n");
                foreach (var (k, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    sb.Append(indent).Append("  ").Append(JsonSerializer.Serialize(k)).Append(": ").Append(JsonSerializer.Serialize(v)).Append('\n');
                }
                sb.Append(indent).Append('}');
                return;
            case IEnumerable list:
                sb.Append("[\n");
                foreach (var item in list)
                {
                    sb.Append(indent).Append("  ");
                    Write(sb, item, depth + 1);
                    sb.Append('\n');
                }
                sb.Append(indent).Append(']');
                return;
        }
        var type = value.GetType();
        sb.Append(type.Name).Append(" {\n");
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
                     .OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            sb.Append(indent).Append("  ").Append(p.Name).Append(": ");
            Write(sb, p.GetValue(value), depth + 1);
            sb.Append('\n');
        }
        sb.Append(indent).Append('}');
    }
}
