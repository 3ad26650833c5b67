using Tandem.Core.Model;

namespace Tandem.Fencing.Devices;

/// <summary>A configured device Tandem cannot drive: every attempt fails with the reason, so no takeover happens on its word.</summary>
/// <param name="spec">The device.</param>
/// <param name="reason">Why it cannot be used, and what to use instead.</param>
public sealed class UnsupportedFenceDevice(FenceDeviceSpec spec, string reason) : IFenceDevice
{
    /// <inheritdoc />
    public FenceDeviceSpec Spec { get; } = spec;

    /// <summary>Why it cannot be used.</summary>
    public string Reason { get; } = reason;

    /// <inheritdoc />
    public Task<FenceResult> FenceAsync(string node, CancellationToken cancellationToken) =>
        Task.FromResult(FenceResult.Failed(Spec.Name, Reason));
}
