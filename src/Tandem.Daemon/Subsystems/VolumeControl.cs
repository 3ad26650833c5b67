using Tandem.Resources.Agents;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// The replicated volume layer as the <c>volume</c>/<c>drbddisk</c> agent sees it: promote, demote,
/// attach and detach the volumes this daemon hosts. Promotion goes through the replica's own rule
/// (only UpToDate data, never beside a Primary peer), so outdated or inconsistent data is refused
/// with the reason; a demotion is refused while the block device is attached.
/// </summary>
public sealed class VolumeControl : IVolumeControl
{
    private readonly VolumeExportSubsystem _volumes;

    /// <summary>Creates the control over the daemon's volumes.</summary>
    /// <param name="volumes">The export subsystem that hosts them.</param>
    public VolumeControl(VolumeExportSubsystem volumes)
    {
        ArgumentNullException.ThrowIfNull(volumes);
        _volumes = volumes;
    }

    /// <inheritdoc/>
    public async Task<VolumeActionResult> PromoteAsync(string volume, CancellationToken cancellationToken)
    {
        // The peer lives but the replica is not connected yet (both nodes just started): writes
        // made before the connection would reach the peer only through a resync.
        var unconnected = await _volumes.WaitForLivePeersAsync(volume, PeerConnectWait, cancellationToken).ConfigureAwait(false);
        var result = await RunAsync(volume, ReplicationAction.Primary, cancellationToken).ConfigureAwait(false);
        return unconnected.Count > 0 && result.Success
            ? result with { Message = $"{result.Message} (without a connection to its live peer after {PeerConnectWait.TotalSeconds:0} s: {string.Join(", ", unconnected)} degraded)" }
            : result;
    }

    /// <summary>How long a promotion waits for a replica whose peer node is alive to connect.</summary>
    public static TimeSpan PeerConnectWait { get; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc/>
    public Task<VolumeActionResult> DemoteAsync(string volume, CancellationToken cancellationToken) =>
        RunAsync(volume, ReplicationAction.Secondary, cancellationToken);

    /// <inheritdoc/>
    public bool IsPrimary(string volume) => _volumes.IsPrimary(volume);

    /// <inheritdoc/>
    public bool IsUpToDateOnPeer(string volume) => _volumes.IsUpToDateOnPeer(volume);

    /// <inheritdoc/>
    public async Task<VolumeActionResult> AttachDeviceAsync(string volume, CancellationToken cancellationToken)
    {
        var names = _volumes.ExportNamesOf(volume);
        if (names.Count == 0)
        {
            return new VolumeActionResult(false, $"no volume or resource named {volume} on this node");
        }
        var devices = new List<string>();
        try
        {
            foreach (var name in names)
            {
                devices.Add(_volumes.Attacher.Find(name)?.DevicePath
                    ?? (await _volumes.AttachAsync(name, link: true, cancellationToken).ConfigureAwait(false)).DevicePath);
            }
        }
        catch (VolumeOperationException e)
        {
            return new VolumeActionResult(false, e.Message);
        }
        return new VolumeActionResult(true, string.Join(' ', devices));
    }

    /// <inheritdoc/>
    public async Task<VolumeActionResult> DetachDeviceAsync(string volume, CancellationToken cancellationToken)
    {
        var names = _volumes.ExportNamesOf(volume);
        if (names.Count == 0)
        {
            return new VolumeActionResult(false, $"no volume or resource named {volume} on this node");
        }
        try
        {
            foreach (var name in names)
            {
                await _volumes.DetachAsync(name, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (VolumeOperationException e)
        {
            return new VolumeActionResult(false, e.Message);
        }
        return new VolumeActionResult(true, $"{volume} detached");
    }

    /// <inheritdoc/>
    public string? AttachedDevice(string volume)
    {
        var devices = _volumes.ExportNamesOf(volume).Select(n => _volumes.Attacher.Find(n)?.DevicePath).ToList();
        // A resource with several volumes counts as attached only when all of them are.
        return devices.Count > 0 && devices.All(d => d is not null) ? string.Join(' ', devices) : null;
    }

    private async Task<VolumeActionResult> RunAsync(string volume, ReplicationAction action, CancellationToken cancellationToken)
    {
        if (!_volumes.IsReplicated(volume))
        {
            // A volume without a peer is always writable here: there is no role to change.
            return _volumes.ExportNamesOf(volume).Count > 0
                ? new VolumeActionResult(true, $"{volume} is not replicated: nothing to {(action == ReplicationAction.Primary ? "promote" : "demote")}")
                : new VolumeActionResult(false, $"no volume or resource named {volume} on this node");
        }
        try
        {
            var result = await _volumes.RunReplicationActionAsync(volume, action, new ReplicationActionOptions(), cancellationToken).ConfigureAwait(false);
            return new VolumeActionResult(true, result.Message.Length > 0 ? result.Message : action.ToString());
        }
        catch (VolumeOperationException e)
        {
            return new VolumeActionResult(false, e.Message);
        }
    }
}
