namespace Tandem.Resources.Placement;

/// <summary>
/// Which replicated volumes of the groups are not UpToDate on the peer, as the executor reads the
/// volume layer; it gives a new observation whenever the set changes (a failback waits on it).
/// </summary>
/// <param name="NotUpToDateOnPeer">The volumes the peer could not take over now.</param>
public sealed record PeerVolumesObserved(IReadOnlySet<string> NotUpToDateOnPeer) : PlacementInput;
