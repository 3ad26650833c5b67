namespace Tandem.Daemon.Status;

/// <summary>The <c>failover</c> status section: the peer as the resource manager sees it, and a takeover waiting for fencing.</summary>
/// <param name="Mode">starting, standalone, pair, no groups.</param>
/// <param name="Peer">The peer's name.</param>
/// <param name="PeerState">up, left, lost or unknown.</param>
/// <param name="AutoFailback">on, off or legacy.</param>
/// <param name="Fencing">enabled or DISABLED.</param>
/// <param name="PlacementDecided">Whether the initial placement is decided.</param>
/// <param name="Takeover">A takeover that waits, and why.</param>
public sealed record FailoverStatus(
    string Mode,
    string? Peer,
    string? PeerState,
    string AutoFailback,
    string Fencing,
    bool PlacementDecided,
    string? Takeover);
