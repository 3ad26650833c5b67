namespace Tandem.Resources.Placement;

/// <summary>Write to the log that a placement message could not be decoded (the engine also publishes <c>resources.bad-message</c>).</summary>
/// <param name="Peer">The sender.</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record LogBadMessage(string Peer, string Reason) : PlacementCommand;
