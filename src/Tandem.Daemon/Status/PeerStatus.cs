using Tandem.Membership;

namespace Tandem.Daemon.Status;

/// <summary>One entry of the <c>peers</c> status section.</summary>
/// <param name="Name">The peer.</param>
/// <param name="Status">active, dead, ...</param>
/// <param name="LastHeardMs">Milliseconds since it was last heard; null when never.</param>
/// <param name="Late">True when past warntime.</param>
/// <param name="Links">Its state on every link.</param>
public sealed record PeerStatus(
    string Name,
    string Status,
    long? LastHeardMs,
    bool Late,
    IReadOnlyList<PeerLinkSnapshot> Links);
