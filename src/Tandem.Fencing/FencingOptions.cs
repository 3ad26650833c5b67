namespace Tandem.Fencing;

/// <summary>How hard the coordinator tries to fence a node.</summary>
public sealed record FencingOptions
{
    /// <summary>How long to keep trying (all devices, with backoff) before fencing counts as failed.</summary>
    /// <value>2 minutes.</value>
    /// <remarks>Heartbeat retried every 5 s forever; a deadline lets the cluster report the failure, and the group stays down either way.</remarks>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The pause after the first failed round of devices.</summary>
    /// <value>1 s.</value>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between rounds (the pause doubles up to this).</summary>
    /// <value>15 s.</value>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(15);
}
