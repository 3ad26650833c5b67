namespace Tandem.Resources.Placement;

/// <summary>The resource manager starts: the engine announces its state to the peer, or, alone in the cluster, starts every group.</summary>
public sealed record PlacementStarted : PlacementInput;
