namespace Tandem.Resources.Placement;

/// <summary>This node shuts down: nothing new starts; a waiting takeover is dropped.</summary>
public sealed record ShutdownStarted : PlacementInput;
