using Tandem.Resources.Groups;

namespace Tandem.Resources.Placement;

/// <summary>
/// The group's monitoring gave up in place: <see cref="GroupOutcome.MoveRequired"/> (stopped here;
/// run it on the peer) or <see cref="GroupOutcome.StopFailedNeedsFencing"/>.
/// </summary>
/// <param name="Group">The group.</param>
/// <param name="Result">What the runner reported.</param>
public sealed record GroupRecoveryNeeded(string Group, GroupResult Result) : PlacementInput;
