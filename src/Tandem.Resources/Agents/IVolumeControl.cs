namespace Tandem.Resources.Agents;

/// <summary>
/// What the <c>volume</c>/<c>drbddisk</c> agent needs from the replicated volume layer. The daemon
/// plugs in the real implementation; it must refuse to promote a volume whose data is outdated.
/// </summary>
public interface IVolumeControl
{
    /// <summary>Makes this node the volume's primary (writer).</summary>
    /// <param name="volume">The volume name (<c>r0</c>).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Success, or why not (for example outdated data).</returns>
    Task<VolumeActionResult> PromoteAsync(string volume, CancellationToken cancellationToken);

    /// <summary>Gives up the primary role.</summary>
    /// <param name="volume">The volume name.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Success, or why not (for example the device is still open).</returns>
    Task<VolumeActionResult> DemoteAsync(string volume, CancellationToken cancellationToken);

    /// <summary>True when this node is the volume's primary.</summary>
    /// <param name="volume">The volume name.</param>
    /// <returns>Whether it is primary here.</returns>
    bool IsPrimary(string volume);

    /// <summary>Attaches the volume's block device on this node (after promotion).</summary>
    /// <param name="volume">The volume name.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Success with the device path as message, or why not.</returns>
    Task<VolumeActionResult> AttachDeviceAsync(string volume, CancellationToken cancellationToken);

    /// <summary>Detaches the volume's block device (before demotion).</summary>
    /// <param name="volume">The volume name.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Success, or why not.</returns>
    Task<VolumeActionResult> DetachDeviceAsync(string volume, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the peer's copy of the volume is UpToDate, so that the peer could take the volume
    /// over now (a failback waits for it: handing a group to a node still resyncing only takes
    /// the service down). True when the volume is not replicated or unknown here.
    /// </summary>
    /// <param name="volume">The volume name.</param>
    /// <returns>Whether the peer's copy is UpToDate.</returns>
    bool IsUpToDateOnPeer(string volume) => true;

    /// <summary>The attached block device, or null when none is attached.</summary>
    /// <param name="volume">The volume name.</param>
    /// <returns>The device path.</returns>
    string? AttachedDevice(string volume);
}
