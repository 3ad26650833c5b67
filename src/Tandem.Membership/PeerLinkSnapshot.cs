namespace Tandem.Membership;

/// <summary>A peer's state on one link.</summary>
/// <param name="Link">The link's name.</param>
/// <param name="Status">up or dead (lower case).</param>
/// <param name="LastHeardMs">Milliseconds since the peer was last heard on it; null when never.</param>
/// <param name="Heartbeats">Heartbeats received on it.</param>
public sealed record PeerLinkSnapshot(
    string Link,
    string Status,
    long? LastHeardMs,
    long Heartbeats);
