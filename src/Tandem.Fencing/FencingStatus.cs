namespace Tandem.Fencing;

/// <summary>The <c>fencing</c> status section.</summary>
/// <param name="Enabled">Whether fencing is on.</param>
/// <param name="Devices">The devices.</param>
/// <param name="AwaitingConfirmation">Nodes a manual device waits to hear are off.</param>
/// <param name="Last">The last fencing of each node.</param>
public sealed record FencingStatus(
    bool Enabled,
    IReadOnlyList<FenceDeviceStatus> Devices,
    IReadOnlyList<string> AwaitingConfirmation,
    IReadOnlyDictionary<string, FenceOutcomeStatus> Last);
