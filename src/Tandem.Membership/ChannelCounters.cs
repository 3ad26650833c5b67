namespace Tandem.Membership;

/// <summary>The reliable cluster channel's counters.</summary>
/// <param name="Unacknowledged">Messages sent and not yet acknowledged.</param>
/// <param name="Retransmits">Retransmissions so far.</param>
public sealed record ChannelCounters(
    int Unacknowledged,
    long Retransmits);
