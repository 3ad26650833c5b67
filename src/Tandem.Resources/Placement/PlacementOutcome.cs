namespace Tandem.Resources.Placement;

/// <summary>The answer to an operator's placement command.</summary>
/// <param name="Accepted">True when the command was carried out or is under way; false when it was refused.</param>
/// <param name="Groups">The groups it moves (or confirms), in configuration order.</param>
/// <param name="Message">What happens now, or why it was refused, in an operator's words.</param>
public sealed record PlacementOutcome(bool Accepted, IReadOnlyList<string> Groups, string Message);
