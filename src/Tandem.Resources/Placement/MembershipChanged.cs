using Tandem.Core.Membership;

namespace Tandem.Resources.Placement;

/// <summary>A new membership view (the typed output of the failure detector, never the event log).</summary>
/// <param name="View">The view.</param>
public sealed record MembershipChanged(MembershipView View) : PlacementInput;
