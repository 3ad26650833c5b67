namespace Tandem.Config.Classic.Drbd;

/// <summary>The shapes of drbd.conf option values.</summary>
public enum DrbdOptionKind
{
    /// <summary>A boolean: the bare keyword means yes, or one of <c>yes</c>/<c>no</c>.</summary>
    Flag,
    /// <summary>A bare keyword that means "no" for another option (8.3's <c>no-disk-flushes</c>).</summary>
    Negation,
    /// <summary>One of a fixed set of words.</summary>
    Enum,
    /// <summary>A non-negative integer in a range, in the option's own unit.</summary>
    Number,
    /// <summary>A size with an optional K/M/G suffix; without one, the option's own unit.</summary>
    Size,
    /// <summary>Any one word or quoted string.</summary>
    Text,
    /// <summary>DRBD 9's quorum value: <c>off</c>, <c>majority</c>, <c>all</c> or a number.</summary>
    Quorum,
}
