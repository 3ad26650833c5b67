using Tandem.Resources.Groups;

namespace Tandem.Resources.Placement;

/// <summary>A start or stop the engine asked for (<see cref="StartGroup"/>, <see cref="StopGroup"/>) has ended.</summary>
/// <param name="Group">The group.</param>
/// <param name="Operation">Which operation.</param>
/// <param name="Result">How it ended.</param>
public sealed record GroupOperationEnded(string Group, GroupOperation Operation, GroupResult Result) : PlacementInput;
