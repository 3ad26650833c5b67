namespace Tandem.Config.Native;

/// <summary>A position in the native file, 1-based as editors show it.</summary>
/// <param name="Line">The line, or 0 when unknown.</param>
/// <param name="Column">The column, or 0 when unknown.</param>
internal readonly record struct TomlLocation(int Line, int Column)
{
    public static TomlLocation None => default;
}

/// <summary>
/// A TOML value with the place it was written. The reader builds this tree itself from Tomlyn's
/// syntax tree, because the schema checks need a location for every key and every value.
/// </summary>
internal abstract class TomlNode(TomlLocation location)
{
    public TomlLocation Location { get; } = location;

    /// <summary>The type name as an error message says it ("a string", "an integer", ...).</summary>
    public abstract string Describe { get; }
}

/// <summary>A scalar: string, long, double, bool or a date-time.</summary>
internal sealed class TomlScalar(TomlLocation location, object value) : TomlNode(location)
{
    public object Value { get; } = value;

    public override string Describe => Value switch
    {
        string => "a string",
        long => "an integer",
        double => "a float",
        bool => "a boolean",
        _ => "a date-time",
    };
}

/// <summary>An array value (<c>[1, 2]</c>).</summary>
internal sealed class TomlArrayNode(TomlLocation location) : TomlNode(location)
{
    public List<TomlNode> Items { get; } = [];

    public override string Describe => "an array";
}

/// <summary>A table: a <c>[header]</c>, one element of a <c>[[header]]</c>, an inline table, or a dotted-key table.</summary>
internal sealed class TomlTableNode(TomlLocation location, TomlTableOrigin origin) : TomlNode(location)
{
    // Indexed as well as ordered: a hostile file may hold a hundred thousand keys in one table.
    private readonly Dictionary<string, TomlNode> _byKey = new(StringComparer.Ordinal);
    private readonly List<(string Key, TomlLocation KeyLocation, TomlNode Value)> _entries = [];

    /// <summary>Entries in file order, each with the location of its key.</summary>
    public IReadOnlyList<(string Key, TomlLocation KeyLocation, TomlNode Value)> Entries => _entries;

    /// <summary>Adds an entry; the caller has checked that the key is new.</summary>
    public void Add(string key, TomlLocation keyLocation, TomlNode value)
    {
        _entries.Add((key, keyLocation, value));
        _byKey.TryAdd(key, value);
    }

    public TomlTableOrigin Origin { get; set; } = origin;

    public override string Describe => Origin == TomlTableOrigin.Inline ? "an inline table" : "a table";

    public TomlNode? Find(string key) => _byKey.GetValueOrDefault(key);
}

/// <summary>An array of tables (<c>[[header]]</c>).</summary>
internal sealed class TomlTableArrayNode(TomlLocation location) : TomlNode(location)
{
    public List<TomlTableNode> Tables { get; } = [];

    public override string Describe => "an array of tables";
}

/// <summary>How a table came to be, which decides whether it may be extended later.</summary>
internal enum TomlTableOrigin
{
    /// <summary>Created implicitly by a longer header or a dotted key.</summary>
    Implicit,
    /// <summary>Defined by a <c>[header]</c>.</summary>
    Header,
    /// <summary>An element of an array of tables.</summary>
    ArrayElement,
    /// <summary>Created by a dotted key inside a table body.</summary>
    Dotted,
    /// <summary>An inline table: closed once written.</summary>
    Inline,
}
