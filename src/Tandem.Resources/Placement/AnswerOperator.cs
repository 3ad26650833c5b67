namespace Tandem.Resources.Placement;

/// <summary>The answer to the operator's command being handled.</summary>
/// <param name="Outcome">What happens now, or why it was refused.</param>
public sealed record AnswerOperator(PlacementOutcome Outcome) : PlacementCommand;
