namespace Tandem.Resources.Placement;

/// <summary>Stop the group here; report the end with <see cref="GroupOperationEnded"/>.</summary>
/// <param name="Group">The group.</param>
/// <param name="Reason">Why, for the runner's events.</param>
public sealed record StopGroup(string Group, string Reason) : PlacementCommand;
