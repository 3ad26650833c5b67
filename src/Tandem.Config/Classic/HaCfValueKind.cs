namespace Tandem.Config.Classic;

/// <summary>How Tandem treats a directive's value when it does not act on it.</summary>
internal enum HaCfValueKind
{
    /// <summary>Anything.</summary>
    Any,
    /// <summary>A Heartbeat boolean.</summary>
    Bool,
    /// <summary>A Heartbeat time value.</summary>
    Time,
    /// <summary>A non-negative integer.</summary>
    Integer,
}
