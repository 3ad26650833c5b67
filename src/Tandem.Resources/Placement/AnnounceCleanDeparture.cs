namespace Tandem.Resources.Placement;

/// <summary>The peer left cleanly after releasing its groups: tell the fencing coordinator, which says that no fencing is needed.</summary>
/// <param name="Peer">The peer.</param>
public sealed record AnnounceCleanDeparture(string Peer) : PlacementCommand;
