namespace Tandem.Fencing;

/// <summary>How the last fencing of a node ended.</summary>
/// <param name="Time">When.</param>
/// <param name="Success">Whether the node was fenced.</param>
/// <param name="Device">The device that answered.</param>
/// <param name="Detail">What it said.</param>
public sealed record FenceOutcomeStatus(
    DateTimeOffset Time,
    bool Success,
    string Device,
    string Detail);
