namespace Tandem.Membership;

/// <summary>The heartbeat timing in milliseconds (ha.cf keepalive, warntime, deadtime, initdead).</summary>
/// <param name="Keepalive">Between two heartbeats.</param>
/// <param name="Warntime">Silence before a late warning.</param>
/// <param name="Deadtime">Silence before a peer is dead.</param>
/// <param name="Initdead">Deadtime right after start.</param>
public sealed record MembershipTimings(
    long Keepalive,
    long Warntime,
    long Deadtime,
    long Initdead);
