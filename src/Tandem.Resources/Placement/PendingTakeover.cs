namespace Tandem.Resources.Placement;

/// <summary>A takeover from the peer that waits for the takeover rule: one at a time, numbered by epoch.</summary>
/// <param name="epoch">Its number; answers and timers of another epoch are ignored.</param>
/// <param name="generation">The peer's run it takes over from.</param>
/// <param name="reason">Why.</param>
/// <param name="cancelOnReturn">True when the same run of the peer coming back cancels it (it was cut off, not dead).</param>
/// <param name="since">When it began.</param>
public sealed class PendingTakeover(int epoch, ulong generation, string reason, bool cancelOnReturn, DateTimeOffset since)
{
    /// <summary>Its number.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The peer's run it takes over from.</summary>
    public ulong Generation { get; } = generation;

    /// <summary>Why.</summary>
    public string Reason { get; } = reason;

    /// <summary>True when the same run of the peer coming back cancels it.</summary>
    public bool CancelOnReturn { get; } = cancelOnReturn;

    /// <summary>When it began.</summary>
    public DateTimeOffset Since { get; } = since;

    /// <summary>The groups it takes over.</summary>
    public IReadOnlySet<string> Groups => _groups;

    /// <summary>How many times the takeover rule was asked.</summary>
    public int Attempts { get; internal set; }

    /// <summary>The last refusal, or null while the first answer is awaited.</summary>
    public string? LastFailure { get; internal set; }

    internal HashSet<string> MutableGroups => _groups;

    private readonly HashSet<string> _groups = new(StringComparer.Ordinal);
}
