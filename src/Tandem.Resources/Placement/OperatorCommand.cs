namespace Tandem.Resources.Placement;

/// <summary>An operator's placement command; the engine answers with one <see cref="AnswerOperator"/>.</summary>
/// <param name="Kind">Which command.</param>
/// <param name="Set">Which groups, relative to this node.</param>
public sealed record OperatorCommand(OperatorCommandKind Kind, GroupSet Set) : PlacementInput;
