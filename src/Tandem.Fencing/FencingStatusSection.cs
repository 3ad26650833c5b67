using Tandem.Core.Status;
using Tandem.Fencing.Devices;

namespace Tandem.Fencing;

/// <summary>
/// The <c>fencing</c> section of <c>tandem status</c>: whether fencing is on, the devices, the nodes
/// waiting for a manual confirmation, and the last outcome per node.
/// </summary>
/// <param name="coordinator">The coordinator to report.</param>
public sealed class FencingStatusSection(FencingCoordinator coordinator) : IStatusSection
{
    /// <inheritdoc />
    public string Name => "fencing";

    /// <inheritdoc />
    object IStatusSection.GetSnapshot() => GetSnapshot();

    /// <summary>Whether fencing is on, the devices, the nodes awaiting confirmation, the last outcome per node.</summary>
    /// <returns>The section.</returns>
    public FencingStatus GetSnapshot() => new(
        !coordinator.Disabled,
        [.. coordinator.Devices.Select(d => new FenceDeviceStatus(
            d.Spec.Name, d.Spec.Kind.ToString().ToLowerInvariant(), d.Spec.RunsOn, [.. d.Spec.Targets], d is UnsupportedFenceDevice u ? u.Reason : null))],
        [.. coordinator.Devices.OfType<ManualFenceDevice>().SelectMany(m => m.Waiting).Distinct().Order(StringComparer.Ordinal)],
        coordinator.LastResults.OrderBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(p => p.Key, p => new FenceOutcomeStatus(p.Value.Time, p.Value.Result.Success, p.Value.Result.Device, p.Value.Result.Detail), StringComparer.Ordinal));
}
