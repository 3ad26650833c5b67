namespace Tandem.Resources.Placement;

/// <summary>
/// An input of the <see cref="PlacementEngine"/>: something that happened (a membership view, a
/// peer's message, the end of a group operation, an operator's command, a timer). The engine
/// takes one at a time and answers with <see cref="PlacementCommand"/>s.
/// </summary>
public abstract record PlacementInput;
