namespace Tandem.Membership;

/// <summary>What the membership service knows at one moment: this node, its timing, every peer and link, and its counters (the source of the <c>peers</c>, <c>links</c> and <c>membership</c> status sections).</summary>
/// <param name="Node">This node.</param>
/// <param name="Status">This node's status (init, active, ...).</param>
/// <param name="Generation">This node's generation (advanced at every start).</param>
/// <param name="TimingMs">keepalive, warntime, deadtime and initdead, in milliseconds.</param>
/// <param name="Stalls">How often the failure detector itself was late (a stalled process, not a silent peer).</param>
/// <param name="Nodes">Every peer as the failure detector sees it.</param>
/// <param name="Links">Every configured medium: open or why not, and its send errors.</param>
/// <param name="Accepted">Packets accepted.</param>
/// <param name="Rejected">Packets rejected, by reason (bad-mac, replayed, ...).</param>
/// <param name="ReceiveErrors">Errors while receiving.</param>
/// <param name="Connectivity">Ping nodes and ipfail's view.</param>
/// <param name="Channel">The reliable cluster channel's counters, when it runs.</param>
public sealed record MembershipSnapshot(
    string Node,
    string Status,
    ulong Generation,
    MembershipTimings TimingMs,
    long Stalls,
    IReadOnlyList<PeerSnapshot> Nodes,
    IReadOnlyList<LinkSnapshot> Links,
    long Accepted,
    IReadOnlyDictionary<string, long> Rejected,
    long ReceiveErrors,
    ConnectivitySnapshot Connectivity,
    ChannelCounters? Channel);
