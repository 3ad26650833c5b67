namespace Tandem.Membership.Detection;

/// <summary>Tuning of the failure detector beyond Heartbeat's four timings.</summary>
public sealed record DetectorOptions
{
    /// <summary>
    /// How late the detector's own timer may fire before this node counts as stalled (a GC pause,
    /// CPU starvation, SIGSTOP). Null uses the keepalive, at least 20 ms.
    /// </summary>
    /// <remarks>
    /// Lower finds shorter stalls but treats ordinary scheduling jitter as a stall; every stall
    /// postpones the detection of a really dead peer by the stall's length.
    /// </remarks>
    public TimeSpan? StallThreshold { get; init; }

    /// <summary>The longest interval between two detector ticks, so a stall is noticed even when no deadline is near.</summary>
    /// <value>Null uses the keepalive.</value>
    public TimeSpan? MaxTickInterval { get; init; }
}
