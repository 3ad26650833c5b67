namespace Tandem.Config.Classic.Drbd;

/// <summary>What the reader knows about one option keyword of one section.</summary>
/// <param name="Name">The keyword as written.</param>
/// <param name="Kind">The shape of its value.</param>
public sealed record DrbdOption(string Name, DrbdOptionKind Kind)
{
    /// <summary>The allowed words of an <see cref="DrbdOptionKind.Enum"/>.</summary>
    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>The smallest allowed value (in bytes for sizes).</summary>
    public long Min { get; init; }

    /// <summary>The largest allowed value (in bytes for sizes).</summary>
    public long Max { get; init; } = long.MaxValue;

    /// <summary>Bytes per unit of a bare size number.</summary>
    public long Unit { get; init; } = 1;

    /// <summary>The unit, for messages (<c>KiB/s</c>, <c>0.1 s</c>, ...).</summary>
    public string? UnitName { get; init; }

    /// <summary>The section the value is stored under, when not the one it is written in (<c>syncer</c> maps to <c>disk</c> and <c>net</c>).</summary>
    public string? TargetSection { get; init; }

    /// <summary>The name the value is stored under, when not its own (<c>rate</c> is <c>resync-rate</c>).</summary>
    public string? TargetName { get; init; }

    /// <summary>For old keywords: the note that names the version and what replaced it.</summary>
    public string? Legacy { get; init; }

    /// <summary>True when Tandem keeps the value but does not act on it and says so with a note.</summary>
    public bool NotActedOn { get; init; }
}
