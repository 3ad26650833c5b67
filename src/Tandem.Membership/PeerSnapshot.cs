namespace Tandem.Membership;

/// <summary>One peer as the failure detector sees it.</summary>
/// <param name="Node">The peer's name.</param>
/// <param name="Status">active, dead, ... (lower case).</param>
/// <param name="Generation">The peer's generation.</param>
/// <param name="Late">True when it is past warntime.</param>
/// <param name="LastHeardMs">Milliseconds since it was last heard; null when never.</param>
/// <param name="Links">Its state on every link.</param>
public sealed record PeerSnapshot(
    string Node,
    string Status,
    ulong Generation,
    bool Late,
    long? LastHeardMs,
    IReadOnlyList<PeerLinkSnapshot> Links);
