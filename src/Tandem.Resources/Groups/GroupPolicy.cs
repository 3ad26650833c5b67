namespace Tandem.Resources.Groups;

/// <summary>How a group reacts to failures.</summary>
public sealed record GroupPolicy
{
    /// <summary>How many times a failed stop is retried before the node must be fenced.</summary>
    /// <value>3 (Heartbeat retried 10 times, one second apart).</value>
    public int StopRetries { get; init; } = 3;

    /// <summary>The pause between stop retries.</summary>
    /// <value>1 s.</value>
    public TimeSpan StopRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many in-place restarts a resource gets within <see cref="RestartWindow"/> before the group is moved.</summary>
    /// <value>3.</value>
    public int MaxRestarts { get; init; } = 3;

    /// <summary>The window over which restarts are counted.</summary>
    /// <value>10 minutes.</value>
    public TimeSpan RestartWindow { get; init; } = TimeSpan.FromMinutes(10);
}
