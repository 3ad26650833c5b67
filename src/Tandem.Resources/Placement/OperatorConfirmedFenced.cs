namespace Tandem.Resources.Placement;

/// <summary>
/// <c>tandem fence confirm NODE</c>, when <see cref="PlacementEngine.WaitsForConfirmation"/> says a
/// takeover (or a group blocked by a failed stop there) waits for it; answered by <see cref="AnswerOperator"/>.
/// </summary>
/// <param name="Node">The node an operator says is off.</param>
public sealed record OperatorConfirmedFenced(string Node) : PlacementInput;
