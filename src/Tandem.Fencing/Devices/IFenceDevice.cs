using Tandem.Core.Model;

namespace Tandem.Fencing.Devices;

/// <summary>Something that can power off or reset a node.</summary>
public interface IFenceDevice
{
    /// <summary>The device's configuration (name, targets, where it runs).</summary>
    FenceDeviceSpec Spec { get; }

    /// <summary>Fences a node. Success means the node is off or was reset; a timeout is a failure.</summary>
    /// <param name="node">The node to fence.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The outcome.</returns>
    Task<FenceResult> FenceAsync(string node, CancellationToken cancellationToken);
}
