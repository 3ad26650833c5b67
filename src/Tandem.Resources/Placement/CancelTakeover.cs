namespace Tandem.Resources.Placement;

/// <summary>Stop the authorization (fencing) of takeover <paramref name="Epoch"/>: it is no longer needed.</summary>
/// <param name="Epoch">The takeover.</param>
public sealed record CancelTakeover(int Epoch) : PlacementCommand;
