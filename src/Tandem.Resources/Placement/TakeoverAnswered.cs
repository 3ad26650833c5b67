namespace Tandem.Resources.Placement;

/// <summary>The answer to <see cref="AuthorizeTakeover"/>: the takeover rule's decision, after fencing when it needed one.</summary>
/// <param name="Epoch">The takeover it answers.</param>
/// <param name="Allowed">True when the groups may be taken over.</param>
/// <param name="Basis">The rule's basis, for the events' data (<c>Fenced</c>, <c>FencingDisabled</c>, <c>FenceFailed</c>...).</param>
/// <param name="Reason">Why, in an operator's words.</param>
public sealed record TakeoverAnswered(int Epoch, bool Allowed, string Basis, string Reason) : PlacementInput;
