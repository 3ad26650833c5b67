namespace Tandem.Config.Classic.Drbd;

/// <summary>
/// Option values of one scope (<c>common</c>, a resource, a volume's <c>disk</c> section), keyed
/// by the section they belong to after mapping (<c>syncer { rate }</c> is <c>disk/resync-rate</c>).
/// </summary>
public sealed class DrbdSettings
{
    private readonly Dictionary<(string Section, string Name), (string Value, DrbdToken At)> _values = [];
    private readonly List<(string Section, string Name)> _order = [];

    /// <summary>Sets a value; returns the earlier setting's location when it overrides one of the same scope.</summary>
    /// <param name="section">The section after mapping.</param>
    /// <param name="name">The option name after mapping.</param>
    /// <param name="value">The value, normalized.</param>
    /// <param name="at">Where it was written.</param>
    /// <returns>The earlier setting, or null.</returns>
    public DrbdToken? Set(string section, string name, string value, DrbdToken at)
    {
        DrbdToken? earlier = null;
        if (_values.TryGetValue((section, name), out var old))
        {
            earlier = old.At;
        }
        else
        {
            _order.Add((section, name));
        }
        _values[(section, name)] = (value, at);
        return earlier;
    }

    /// <summary>The value of an option, or null.</summary>
    /// <param name="section">The section.</param>
    /// <param name="name">The option.</param>
    /// <returns>The value.</returns>
    public string? Get(string section, string name) =>
        _values.TryGetValue((section, name), out var v) ? v.Value : null;

    /// <summary>Where an option was set, or null.</summary>
    /// <param name="section">The section.</param>
    /// <param name="name">The option.</param>
    /// <returns>The token of its keyword.</returns>
    public DrbdToken? Where(string section, string name) =>
        _values.TryGetValue((section, name), out var v) ? v.At : null;

    /// <summary>The options of one section, in the order first set.</summary>
    /// <param name="section">The section.</param>
    /// <returns>Name and value pairs.</returns>
    public IEnumerable<KeyValuePair<string, string>> In(string section) =>
        _order.Where(k => k.Section == section).Select(k => KeyValuePair.Create(k.Name, _values[k].Value));

    /// <summary>A new scope with every value of <paramref name="inner"/> laid over this one's.</summary>
    /// <param name="inner">The more specific scope, or null.</param>
    /// <returns>The merged scope.</returns>
    public DrbdSettings Overlay(DrbdSettings? inner)
    {
        var merged = new DrbdSettings();
        foreach (var key in _order)
        {
            merged.Set(key.Section, key.Name, _values[key].Value, _values[key].At);
        }
        if (inner is not null)
        {
            foreach (var key in inner._order)
            {
                merged.Set(key.Section, key.Name, inner._values[key].Value, inner._values[key].At);
            }
        }
        return merged;
    }
}
