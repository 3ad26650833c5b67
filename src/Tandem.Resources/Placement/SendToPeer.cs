namespace Tandem.Resources.Placement;

/// <summary>Send a placement message to the peer over the cluster channel (a failed send is dropped: a new run of the peer gets a fresh state).</summary>
/// <param name="Message">The message.</param>
public sealed record SendToPeer(PlacementMessage Message) : PlacementCommand;
