using System.Globalization;

namespace Tandem.Config.Native;

/// <summary>
/// Reads one table of the native file against the schema: each getter names a key it knows, checks
/// the type, and reports with the key's location; <see cref="Finish"/> then reports every key no
/// getter asked for, with the closest known key as a suggestion.
/// </summary>
internal sealed class TableReader
{
    private readonly NativeContext _ctx;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public TableReader(NativeContext ctx, TomlTableNode table, string path)
    {
        _ctx = ctx;
        Table = table;
        Path = path;
    }

    public TomlTableNode Table { get; }

    /// <summary>How messages name this table, for example <c>[[link]] #2</c>.</summary>
    public string Path { get; }

    public TomlLocation Location => Table.Location;

    public bool Has(string key)
    {
        _known.Add(key);
        return Table.Find(key) is not null;
    }

    public TomlLocation KeyLocation(string key)
    {
        foreach (var e in Table.Entries)
        {
            if (e.Key == key)
            {
                return e.KeyLocation;
            }
        }
        return Table.Location;
    }

    private TomlNode? Get(string key, bool required)
    {
        _known.Add(key);
        var node = Table.Find(key);
        if (node is null && required)
        {
            _ctx.Error(NativeCodes.MissingKey, Table.Location, $"{Path} needs '{key}'");
        }
        return node;
    }

    private void WrongType(string key, TomlNode node, string expected) =>
        _ctx.Error(NativeCodes.WrongType, node.Location, $"'{key}' in {Path} must be {expected}, not {node.Describe}");

    public string? String(string key, bool required = false, bool allowEmpty = false)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }
        if (node is not TomlScalar { Value: string s })
        {
            WrongType(key, node, "a string");
            return null;
        }
        if (!allowEmpty && s.Length == 0)
        {
            _ctx.Error(NativeCodes.BadValue, node.Location, $"'{key}' in {Path} must not be empty");
            return null;
        }
        return s;
    }

    public long? Integer(string key, long min, long max, bool required = false)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }
        if (node is not TomlScalar { Value: long n })
        {
            WrongType(key, node, "an integer");
            return null;
        }
        if (n < min || n > max)
        {
            _ctx.Error(NativeCodes.BadValue, node.Location, $"'{key}' in {Path} must be between {min} and {max}, not {n}");
            return null;
        }
        return n;
    }

    public int? Port(string key, bool required = false) => (int?)Integer(key, 1, 65535, required);

    public bool? Bool(string key)
    {
        var node = Get(key, false);
        if (node is null)
        {
            return null;
        }
        if (node is not TomlScalar { Value: bool b })
        {
            WrongType(key, node, "a boolean (true or false)");
            return null;
        }
        return b;
    }

    /// <summary>A duration written as a string with a unit; zero only when <paramref name="allowZero"/>.</summary>
    public TimeSpan? Duration(string key, bool allowZero, bool required = false)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }
        if (node is TomlScalar { Value: long or double } number)
        {
            var n = Convert.ToString(number.Value, CultureInfo.InvariantCulture);
            _ctx.Error(NativeCodes.BadDuration, node.Location,
                $"'{key}' in {Path} is a bare number; a duration needs a unit",
                $"write it as a string with a unit, e.g. {key} = \"{n}s\" or \"{n}ms\"");
            return null;
        }
        if (node is not TomlScalar { Value: string s })
        {
            WrongType(key, node, "a duration string such as \"2s\" or \"100ms\"");
            return null;
        }
        if (!NativeUnits.TryParseDuration(s, out var value))
        {
            _ctx.Error(NativeCodes.BadDuration, node.Location,
                $"'{key}' in {Path} is not a duration: \"{Clip(s)}\"",
                "a duration is a number and a unit: \"500us\", \"100ms\", \"1.5s\", \"2s\", \"1m\", \"1h\" (at most 365 days, at most 100 ns precision)");
            return null;
        }
        if (value == TimeSpan.Zero && !allowZero)
        {
            _ctx.Error(NativeCodes.BadDuration, node.Location, $"'{key}' in {Path} must be more than zero");
            return null;
        }
        return value;
    }

    /// <summary>A string that must be one of <paramref name="allowed"/> (case-sensitive, with a suggestion).</summary>
    public T? Choice<T>(string key, IReadOnlyDictionary<string, T> allowed, bool required = false)
        where T : struct =>
        ChoiceKey(key, allowed.Keys, required) is { } k ? allowed[k] : null;

    /// <summary>A string that must be one of the keys of <paramref name="allowed"/>.</summary>
    public string? Choice(string key, IReadOnlyDictionary<string, string> allowed, bool required = false) =>
        ChoiceKey(key, allowed.Keys, required) is { } k ? allowed[k] : null;

    private string? ChoiceKey(string key, IEnumerable<string> allowed, bool required)
    {
        var s = String(key, required);
        if (s is null)
        {
            return null;
        }
        if (allowed.Contains(s, StringComparer.Ordinal))
        {
            return s;
        }
        var suggestion = Suggest.Closest(s, allowed);
        _ctx.Error(NativeCodes.BadValue, Table.Find(key)!.Location,
            $"'{key}' in {Path} cannot be \"{Clip(s)}\" (allowed: {string.Join(", ", allowed)})",
            suggestion is null ? null : $"did you mean \"{suggestion}\"?");
        return null;
    }

    public IReadOnlyList<string>? StringArray(string key, bool required = false)
    {
        var node = Get(key, required);
        if (node is null)
        {
            return null;
        }
        if (node is not TomlArrayNode array)
        {
            WrongType(key, node, "an array of strings");
            return null;
        }
        var list = new List<string>();
        foreach (var item in array.Items)
        {
            if (item is TomlScalar { Value: string s })
            {
                list.Add(s);
            }
            else
            {
                _ctx.Error(NativeCodes.WrongType, item.Location, $"'{key}' in {Path} must hold strings only, not {item.Describe}");
                return null;
            }
        }
        return list;
    }

    /// <summary>A table of string values (parameters, handlers, per-node devices), in file order.</summary>
    public List<(string Key, string Value, TomlLocation Where)>? StringMap(string key)
    {
        var node = Get(key, false);
        if (node is null)
        {
            return null;
        }
        if (node is not TomlTableNode table)
        {
            WrongType(key, node, "a table of strings");
            return null;
        }
        var list = new List<(string, string, TomlLocation)>();
        foreach (var (k, where, value) in table.Entries)
        {
            if (value is TomlScalar { Value: string s })
            {
                list.Add((k, s, where));
            }
            else
            {
                _ctx.Error(NativeCodes.WrongType, value.Location, $"'{key}.{Clip(k)}' in {Path} must be a string, not {value.Describe}");
            }
        }
        return list;
    }

    public TableReader? SubTable(string key, string path)
    {
        var node = Get(key, false);
        if (node is null)
        {
            return null;
        }
        if (node is not TomlTableNode table)
        {
            WrongType(key, node, "a table");
            return null;
        }
        return new TableReader(_ctx, table, path);
    }

    /// <summary>An array of tables, written either as <c>[[key]]</c> sections or as an array of inline tables.</summary>
    public List<TableReader> TableArray(string key, string path)
    {
        var node = Get(key, false);
        var result = new List<TableReader>();
        switch (node)
        {
            case null:
                break;
            case TomlTableArrayNode array:
                foreach (var t in array.Tables)
                {
                    result.Add(new TableReader(_ctx, t, $"{path} #{result.Count + 1}"));
                }
                break;
            case TomlArrayNode array:
                foreach (var item in array.Items)
                {
                    if (item is TomlTableNode t)
                    {
                        result.Add(new TableReader(_ctx, t, $"{path} #{result.Count + 1}"));
                    }
                    else
                    {
                        _ctx.Error(NativeCodes.WrongType, item.Location, $"'{key}' in {Path} must hold tables only, not {item.Describe}");
                    }
                }
                break;
            case TomlTableNode t:
                // A single [key] where [[key]] was meant is the commonest slip; take it, and say so.
                _ctx.Error(NativeCodes.WrongType, t.Location, $"'{key}' must be an array of tables: write [[{FullName(path)}]], not [{FullName(path)}]");
                break;
            default:
                WrongType(key, node, $"an array of tables ([[{FullName(path)}]])");
                break;
        }
        return result;
    }

    private static string FullName(string path) => path.Trim('[', ']');

    /// <summary>Reports every key that no getter asked for.</summary>
    /// <param name="elsewhere">Keys valid in a sibling variant (another link kind), with the variant's name.</param>
    public void Finish(IReadOnlyDictionary<string, string>? elsewhere = null)
    {
        foreach (var (key, where, value) in Table.Entries)
        {
            if (_known.Contains(key))
            {
                continue;
            }
            var what = value is TomlTableNode or TomlTableArrayNode ? "table" : "key";
            if (elsewhere is not null && elsewhere.TryGetValue(key, out var variant))
            {
                _ctx.Error(NativeCodes.UnknownKey, where, $"'{Clip(key)}' does not apply to {Path} (it is a {variant} setting)");
                continue;
            }
            var suggestion = Suggest.Closest(key, _known);
            _ctx.Error(NativeCodes.UnknownKey, where,
                $"unknown {what} '{Clip(key)}' in {Path}",
                suggestion is not null ? $"did you mean '{suggestion}'?" : $"known keys here: {string.Join(", ", _known.Order(StringComparer.Ordinal))}");
        }
    }

    public static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
