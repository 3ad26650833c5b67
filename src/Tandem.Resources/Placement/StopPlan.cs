namespace Tandem.Resources.Placement;

/// <summary>A stop the engine decided and what follows it.</summary>
/// <param name="After">What follows the stop.</param>
/// <param name="Reason">Why the group stops.</param>
/// <param name="Code">For <see cref="AfterStop.Release"/>: the release code.</param>
/// <param name="RequestId">For <see cref="AfterStop.Release"/>: the request the release answers, or 0.</param>
public readonly record struct StopPlan(AfterStop After, string Reason, ReleaseCode Code = ReleaseCode.Handover, uint RequestId = 0);
