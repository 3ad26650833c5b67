using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Daemon.Status;
using Tandem.Nbd;
using Tandem.Replication;
using Tandem.Replication.Metadata;

namespace Tandem.Daemon.Subsystems;

public sealed partial class VolumeExportSubsystem
{
    /// <summary>How long a replica that never agreed on a size with its peer waits for the first handshake before it is exported.</summary>
    private static readonly TimeSpan s_firstConnectWait = TimeSpan.FromSeconds(3);

    /// <summary>How long a stopping daemon waits for a Primary to demote (its transfer log to empty) before it closes the replica anyway.</summary>
    private static readonly TimeSpan s_shutdownDemoteWait = TimeSpan.FromSeconds(2);

    /// <summary>How long a command that needs an established connection waits for the bitmap exchange of a fresh handshake.</summary>
    private static readonly TimeSpan s_settleWait = TimeSpan.FromSeconds(5);

    /// <summary>Runs one replication command (<c>tandem volume up|down|primary|...</c>) on a volume, or on every volume of a resource.</summary>
    /// <param name="name">The export name (r0, r0-1) or the resource name.</param>
    /// <param name="action">The command.</param>
    /// <param name="options">Its flags.</param>
    /// <param name="cancellationToken">Cancels the wait (the command itself may have been done).</param>
    /// <returns>What was done and the volumes' state afterwards.</returns>
    /// <exception cref="VolumeOperationException">Unknown, not replicated, refused (with the reason), or failed.</exception>
    internal async Task<ReplicationActionResult> RunReplicationActionAsync(string name, ReplicationAction action, ReplicationActionOptions options, CancellationToken cancellationToken)
    {
        var targets = Resolve(name);
        var notReplicated = targets.Where(p => p.Slot is null).Select(p => p.Name).ToList();
        if (notReplicated.Count > 0)
        {
            throw new VolumeOperationException(VolumeOperationError.BadRequest,
                $"{string.Join(", ", notReplicated)} is not replicated (its resource names no peer host with an address): it serves its local backing, and has no role, connection or metadata");
        }
        var messages = new List<string>();
        foreach (var plan in targets)
        {
            var slot = plan.Slot!;
            await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                messages.Add(await RunOneAsync(plan, slot, action, options, cancellationToken).ConfigureAwait(false));
            }
            catch (ObjectDisposedException e)
            {
                throw new VolumeOperationException(VolumeOperationError.Conflict, $"{plan.Name} went down meanwhile", e);
            }
            catch (InvalidOperationException e)
            {
                throw new VolumeOperationException(VolumeOperationError.Conflict, e.Message, e);
            }
            catch (Exception e) when (e is IOException or MetadataException)
            {
                throw new VolumeOperationException(VolumeOperationError.Failed, $"{plan.Name}: {e.Message}", e);
            }
            finally
            {
                slot.Gate.Release();
            }
        }
        var exports = _service.GetSnapshot();
        return new ReplicationActionResult(name, ActionName(action), string.Join("; ", messages), [.. targets.Select(plan => Describe(plan, exports))]);
    }

    /// <summary>The export names a volume or resource name stands for (empty when unknown).</summary>
    internal IReadOnlyList<string> ExportNamesOf(string name) => TryResolve(name).Select(p => p.Name).ToList();

    /// <summary>Whether every volume the name stands for may be written here: Primary, or not replicated and exported.</summary>
    internal bool IsPrimary(string name)
    {
        var targets = TryResolve(name);
        return targets.Count > 0 && targets.All(p => p.Slot is { } slot
            ? slot.Replica?.Role == Role.Primary
            : _service.FindServer(p.Name) is not null);
    }

    /// <summary>
    /// Whether the peer holds an UpToDate copy of every replicated volume the name stands for:
    /// connected, no resync pending or running, nothing out of sync. (Right after a reconnect the
    /// peer still claims the disk state it had before; the resync decision comes after.)
    /// </summary>
    internal bool IsUpToDateOnPeer(string name) =>
        TryResolve(name).All(p => p.Slot is not { } slot || slot.Replica is { } r
            && r.Connection == ConnectionState.Connected && r.Replication == Tandem.Replication.ReplicationState.Established
            && r.PeerDisk == DiskState.UpToDate && r.OutOfSyncBytes == 0);

    /// <summary>
    /// Before a promotion by the resource manager: when a replica is not connected but its peer node
    /// is alive (membership hears it), waits a moment for the connection. Promoting first would put
    /// writes on this node that reach the peer only by a later resync, and a power loss in between
    /// would leave the peer promoting older data (DRBD's init script waits at boot for the same
    /// reason: wfc-timeout). A dead or unknown peer is not waited for: that is a takeover.
    /// </summary>
    /// <returns>The replicas that are still not connected although their peer lives.</returns>
    internal async Task<IReadOnlyList<string>> WaitForLivePeersAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            var waiting = TryResolve(name)
                .Where(p => p.Slot is { Replica: { Connection: not ConnectionState.Connected } } slot && PeerAlive(slot))
                .Select(p => p.Name)
                .ToList();
            if (waiting.Count == 0 || _time.GetTimestamp() >= deadline)
            {
                return waiting;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool PeerAlive(ReplicatedSlot slot)
    {
        if (_membership?.Service is not { } service)
        {
            return false;
        }
        var peer = slot.Resource.Hosts.FirstOrDefault(h => !string.Equals(h.Name, _node.NodeName, StringComparison.OrdinalIgnoreCase));
        // The detector's typed view, as every decision reads membership (never the event log).
        return peer is not null && service.Detector.View.Find(peer.Name)?.IsAlive == true;
    }

    /// <summary>Whether the name stands for replicated volumes (and not local ones).</summary>
    internal bool IsReplicated(string name) => TryResolve(name) is { Count: > 0 } targets && targets.All(p => p.Slot is not null);

    private List<Planned> TryResolve(string name)
    {
        var exact = _planned.Where(p => string.Equals(p.Name, name, StringComparison.Ordinal)).ToList();
        return exact.Count > 0 ? exact : _planned.Where(p => string.Equals(p.Resource, name, StringComparison.Ordinal)).ToList();
    }

    private List<Planned> Resolve(string name)
    {
        var targets = TryResolve(name);
        if (targets.Count == 0)
        {
            throw new VolumeOperationException(VolumeOperationError.NotFound,
                $"no volume or resource named {name} on this node (volumes: {List([.. _planned.Select(p => p.Name)])})");
        }
        return targets;
    }

    private async Task<string> RunOneAsync(Planned plan, ReplicatedSlot slot, ReplicationAction action, ReplicationActionOptions options, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case ReplicationAction.Up:
                if (slot.Replica is not null)
                {
                    return $"{plan.Name} is already up";
                }
                await UpSlotAsync(plan, slot, cancellationToken).ConfigureAwait(false);
                return slot.Replica is null
                    ? throw new VolumeOperationException(slot.State == ReplicatedSlot.NoMetadata ? VolumeOperationError.Conflict : VolumeOperationError.Failed,
                        $"{plan.Name} could not be brought up: {slot.Reason}")
                    : $"{plan.Name} is up";
            case ReplicationAction.Down:
                {
                    if (slot.Replica is not { } replica)
                    {
                        return $"{plan.Name} is already down ({slot.State})";
                    }
                    RefuseIfAttached(plan, "take it down");
                    // An explicit down demotes first and fails if that is impossible (unlike a
                    // daemon stop, which closes the replica anyway after a short wait).
                    await replica.DemoteAsync(cancellationToken).ConfigureAwait(false);
                    await DownSlotAsync(plan, slot, TimeSpan.Zero, $"taken down (tandem volume up {plan.Resource} brings it back)", cancellationToken).ConfigureAwait(false);
                    return $"{plan.Name} is down";
                }
            case ReplicationAction.Primary:
                await Require(plan, slot).PromoteAsync(options.Force, cancellationToken).ConfigureAwait(false);
                return $"{plan.Name} is Primary";
            case ReplicationAction.Secondary:
                RefuseIfAttached(plan, "demote it");
                await Require(plan, slot).DemoteAsync(cancellationToken).ConfigureAwait(false);
                return $"{plan.Name} is Secondary";
            case ReplicationAction.Connect:
                await Require(plan, slot).ConnectAsync(options.DiscardMyData).ConfigureAwait(false);
                return options.DiscardMyData ? $"{plan.Name} is connecting, discarding its own data on split brain" : $"{plan.Name} is connecting";
            case ReplicationAction.Disconnect:
                await Require(plan, slot).DisconnectAsync().ConfigureAwait(false);
                return $"{plan.Name} is StandAlone";
            case ReplicationAction.Invalidate:
                await SettledAsync(Require(plan, slot), cancellationToken).ConfigureAwait(false);
                await Require(plan, slot).InvalidateAsync(cancellationToken).ConfigureAwait(false);
                return $"{plan.Name} is invalidated: a full resync from the peer follows";
            case ReplicationAction.NewCurrentUuid:
                if (!options.ClearBitmap)
                {
                    throw new VolumeOperationException(VolumeOperationError.BadRequest,
                        "only new-current-uuid --clear-bitmap (skip the initial sync of a new, empty pair) is supported");
                }
                await SettledAsync(Require(plan, slot), cancellationToken).ConfigureAwait(false);
                await Require(plan, slot).SkipInitialSyncAsync(cancellationToken).ConfigureAwait(false);
                return $"{plan.Name}: initial sync skipped, both replicas are UpToDate";
            case ReplicationAction.Verify:
                await SettledAsync(Require(plan, slot), cancellationToken).ConfigureAwait(false);
                return StartVerify(plan, slot, options.ResyncFromHere);
            case ReplicationAction.Outdate:
                {
                    var disk = await Require(plan, slot).OutdateAsync(cancellationToken).ConfigureAwait(false);
                    return disk == DiskState.Outdated
                        ? $"{plan.Name} is Outdated: it refuses promotion without --force until it resyncs from its peer"
                        : $"{plan.Name} is {disk} already (worse than Outdated): nothing to do";
                }
            case ReplicationAction.ResumeIo:
                {
                    var replica = Require(plan, slot);
                    var frozen = replica.IoFrozen;
                    await replica.ResumeIoAsync().ConfigureAwait(false);
                    return frozen ? $"{plan.Name}: I/O resumed" : $"{plan.Name}: I/O was not frozen";
                }
            case ReplicationAction.Resize:
                return await ResizeAsync(plan, slot, options, cancellationToken).ConfigureAwait(false);
            default:
                throw new VolumeOperationException(VolumeOperationError.BadRequest, $"unknown action {action}");
        }
    }

    /// <summary>
    /// Right after a handshake the bitmaps are still being exchanged (milliseconds): a command that
    /// needs an established connection waits that out (at most <see cref="s_settleWait"/>) rather
    /// than failing on a state the operator cannot see coming. The library reports no event for the
    /// end of the exchange, so this looks at the state.
    /// </summary>
    private async Task SettledAsync(ReplicatedVolume replica, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (replica.Connection == ConnectionState.Connected && replica.Replication == Tandem.Replication.ReplicationState.WaitingForBitmap
            && _time.GetElapsedTime(started) < s_settleWait)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private string StartVerify(Planned plan, ReplicatedSlot slot, bool resyncFromHere)
    {
        var replica = Require(plan, slot);
        if (slot.Verify is { IsCompleted: false })
        {
            throw new VolumeOperationException(VolumeOperationError.Conflict, $"{plan.Name}: an online verify is already running");
        }
        slot.VerifyCancel?.Dispose();
        var cancel = new CancellationTokenSource();
        var verify = replica.VerifyAsync(resyncFromHere, cancel.Token);
        if (verify.IsFaulted)
        {
            // Refused before it began (no connection, no verify-alg, ...): say why now.
            cancel.Dispose();
            var refusal = verify.Exception!.GetBaseException();
            throw new VolumeOperationException(VolumeOperationError.Conflict, refusal.Message, refusal);
        }
        slot.VerifyCancel = cancel;
        slot.Verify = ObserveVerifyAsync(plan, verify);
        return $"{plan.Name}: online verify started; its result is the volume.verify.finished event";
    }

    private async Task ObserveVerifyAsync(Planned plan, Task<long> verify)
    {
        try
        {
            await verify.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Publish("volume.verify.stopped", plan.Name, "the volume went down during the verify", null);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            LogVerifyFailed(_logger, plan.Name, e.Message);
            Publish("volume.verify.failed", plan.Name, e.Message, null);
        }
    }

    private ReplicatedVolume Require(Planned plan, ReplicatedSlot slot) =>
        slot.Replica ?? throw new VolumeOperationException(VolumeOperationError.Conflict,
            $"{plan.Name} is not up ({slot.State}{(slot.Reason is null ? "" : ": " + slot.Reason)})");

    private void RefuseIfAttached(Planned plan, string what)
    {
        if (Attacher.Find(plan.Name) is { } attached)
        {
            throw new VolumeOperationException(VolumeOperationError.Conflict,
                $"{plan.Name} is attached as {attached.DevicePath}: unmount and detach it first (tandem volume detach {plan.Name}), then {what}");
        }
    }

    /// <summary>Opens the replica, connects it to its peer and exports it; on failure the slot says why. Called under the slot's gate.</summary>
    private async Task UpSlotAsync(Planned plan, ReplicatedSlot slot, CancellationToken cancellationToken)
    {
        if (slot.Replica is not null)
        {
            return;
        }
        _unavailable.TryRemove(plan.Name, out _);
        slot.Reason = null;
        ReplicatedVolumeOptions options;
        try
        {
            options = OptionsFor(slot);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            FailSlot(plan, slot, ReplicatedSlot.Unavailable, $"cannot replicate: {e.Message}");
            return;
        }
        IBlockVolume backing;
        try
        {
            // Follows growth of the file or device, for tandem volume resize.
            var file = Watched(FileVolume.Open(plan.Disk), plan.Name);
            file.TracksGrowth = true;
            backing = file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            FailSlot(plan, slot, ReplicatedSlot.Unavailable, $"cannot open the backing {plan.Disk}: {e.Message}");
            return;
        }
        IBlockVolume? external = null;
        if (MetadataDevice(slot.Volume) is { } metaPath)
        {
            try
            {
                external = metaPath.Contains('[', StringComparison.Ordinal)
                    ? throw new NotSupportedException($"indexed external metadata ({slot.Volume.MetaDisk}) is not supported; use a whole device or file (meta-disk PATH)")
                    : OpenTrackingGrowth(metaPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                await backing.DisposeAsync().ConfigureAwait(false);
                FailSlot(plan, slot, ReplicatedSlot.Unavailable, $"cannot open the metadata device {metaPath}: {e.Message}");
                return;
            }
        }
        var relay = new ReplicatedSlot.EventRelay(_events);
        ReplicatedVolume replica;
        try
        {
            replica = await ReplicatedVolume.OpenAsync(options, backing, external, relay, _loggers.CreateLogger<ReplicatedVolume>(), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MetadataException or SocketException or IOException)
        {
            await backing.DisposeAsync().ConfigureAwait(false);
            if (external is not null)
            {
                await external.DisposeAsync().ConfigureAwait(false);
            }
            if (e is MetadataException)
            {
                LogNoMetadata(_logger, plan.Name, e.Message);
                FailSlot(plan, slot, ReplicatedSlot.NoMetadata, $"no metadata: run tandem volume create-md {plan.Resource}");
            }
            else
            {
                FailSlot(plan, slot, ReplicatedSlot.Unavailable, e is SocketException
                    ? $"cannot listen for the peer on {options.Listen}: {e.Message}"
                    : $"cannot read the metadata of {plan.Disk}: {e.Message}");
            }
            return;
        }
        await replica.ConnectAsync().ConfigureAwait(false);
        if (replica.Metadata.LastAgreedSize == 0)
        {
            // Never connected: the first handshake may shrink the size to the peer's; let it happen
            // before a client sees one, if the peer is there to answer.
            try
            {
                await relay.Connected.WaitAsync(s_firstConnectWait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The peer is not there yet: serve our own size; the handshake keeps the smaller.
            }
        }
        var definition = new NbdExportDefinition(plan.Name, replica, plan.SocketPath)
        {
            TcpEndPoint = slot.Tcp,
            Options = _serverOptions,
            Device = plan.Device,
            Description = string.Create(CultureInfo.InvariantCulture, $"tandem replicated volume {plan.Resource}/{plan.Volume} on {_node.NodeName} ({plan.Disk})"),
        };
        if (!await ServeAsync(plan, definition, cancellationToken).ConfigureAwait(false))
        {
            await CloseAsync(replica, backing, external).ConfigureAwait(false);
            slot.State = ReplicatedSlot.Unavailable;
            slot.Reason = _unavailable.TryGetValue(plan.Name, out var why) ? why : "cannot be exported";
            return;
        }
        slot.Backing = backing;
        slot.ExternalMetadata = external;
        slot.Replica = replica;
        slot.State = ReplicatedSlot.Up;
        LogUp(_logger, plan.Name, replica.Role, replica.Disk, options.Peer.ToString());
        Publish("volume.up", plan.Name, $"replicated volume open as {replica.Role} with {replica.Disk} data, connecting to {options.Peer}",
            new Dictionary<string, string>
            {
                ["role"] = replica.Role.ToString(),
                ["disk"] = replica.Disk.ToString(),
                ["listen"] = options.Listen.ToString(),
                ["peer"] = options.Peer.ToString(),
                ["size"] = replica.Size.ToString(CultureInfo.InvariantCulture),
            });
    }

    /// <summary>The daemon stops: stop the export, demote (briefly), close.</summary>
    private async Task StopSlotAsync(Planned plan, ReplicatedSlot slot, CancellationToken cancellationToken)
    {
        // A command holding the gate (a demote waiting for a silent peer) must not hold the stop up;
        // nor may an expired stop token leave the replica open (its listener, its peer connection).
        var gated = await slot.Gate.WaitAsync(s_shutdownDemoteWait, CancellationToken.None).ConfigureAwait(false);
        try
        {
            await DownSlotAsync(plan, slot, s_shutdownDemoteWait, "the daemon stopped", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (gated)
            {
                slot.Gate.Release();
            }
        }
    }

    /// <summary>
    /// Stops the export (no new I/O), demotes a Primary within <paramref name="demoteWait"/> (so that
    /// the next start is not taken for a crash), flushes and closes the replica and its devices.
    /// </summary>
    private async Task DownSlotAsync(Planned plan, ReplicatedSlot slot, TimeSpan demoteWait, string reason, CancellationToken cancellationToken)
    {
        var replica = slot.Replica;
        if (replica is null)
        {
            return;
        }
        await _service.StopExportAsync(plan.Name, cancellationToken).ConfigureAwait(false);
        if (slot.VerifyCancel is { } verifyCancel)
        {
            await verifyCancel.CancelAsync().ConfigureAwait(false);
            await slot.Verify!.ConfigureAwait(false);
            verifyCancel.Dispose();
            slot.VerifyCancel = null;
            slot.Verify = null;
        }
        if (replica.Role == Role.Primary && demoteWait > TimeSpan.Zero)
        {
            using var wait = new CancellationTokenSource(demoteWait, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(wait.Token, cancellationToken);
            try
            {
                await replica.DemoteAsync(linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or ObjectDisposedException)
            {
                // Still marked Primary on disk: the next start treats it as a crashed Primary and
                // resyncs its activity log, which is safe.
                LogDemoteFailed(_logger, plan.Name, e.Message);
            }
        }
        slot.Replica = null;
        await CloseAsync(replica, slot.Backing, slot.ExternalMetadata).ConfigureAwait(false);
        slot.Backing = null;
        slot.ExternalMetadata = null;
        slot.State = ReplicatedSlot.Down;
        slot.Reason = reason;
        Publish("volume.down", plan.Name, reason, null);
    }

    private static async Task CloseAsync(ReplicatedVolume replica, IBlockVolume? backing, IBlockVolume? external)
    {
        await replica.DisposeAsync().ConfigureAwait(false);
        if (backing is not null)
        {
            await backing.DisposeAsync().ConfigureAwait(false);
        }
        if (external is not null)
        {
            await external.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static FileVolume OpenTrackingGrowth(string path)
    {
        var file = FileVolume.Open(path);
        file.TracksGrowth = true;
        return file;
    }

    private void FailSlot(Planned plan, ReplicatedSlot slot, string state, string reason)
    {
        slot.State = state;
        slot.Reason = reason;
        MarkUnavailable(plan, reason);
    }

    private ReplicatedVolumeOptions OptionsFor(ReplicatedSlot slot)
    {
        var options = ReplicatedVolumeOptions.FromSpec(slot.Resource, _node.NodeName);
        var host = slot.Resource.FindHost(_node.NodeName)!;
        if (host.Volumes.Count <= 1)
        {
            return WithFencePeer(slot, options);
        }
        // Several volumes: DRBD multiplexes them on one connection; here volume N has its own, on
        // the resource's port + N (both hosts), and its events carry the export name.
        return WithFencePeer(slot, options with
        {
            Resource = slot.Name,
            Listen = Shift(options.Listen, slot.Volume.Number),
            Peer = Shift(options.Peer, slot.Volume.Number),
        });
    }

    private static IPEndPoint Shift(IPEndPoint endPoint, int by) =>
        endPoint.Port + by <= IPEndPoint.MaxPort
            ? new IPEndPoint(endPoint.Address, endPoint.Port + by)
            : throw new ArgumentException($"volume {by} would listen on port {endPoint.Port + by}, beyond {IPEndPoint.MaxPort}");

    /// <summary>The external metadata device of a volume, or null for internal metadata.</summary>
    internal static string? MetadataDevice(VolumeSpec volume) =>
        string.IsNullOrWhiteSpace(volume.MetaDisk) || string.Equals(volume.MetaDisk, "internal", StringComparison.OrdinalIgnoreCase)
            ? null
            : volume.MetaDisk;

    /// <summary>Whether a resource names a peer of <paramref name="host"/> with an address: then its volumes are replicated here.</summary>
    internal static bool HasPeer(ReplicatedResourceSpec resource, ReplicaHostSpec host) =>
        resource.Hosts.Any(h => !ReferenceEquals(h, host) && !string.IsNullOrWhiteSpace(h.Address));

    private static ReplicaStatus SlotStatus(ReplicatedSlot slot)
    {
        if (slot.Replica is { } replica)
        {
            try
            {
                return replica.GetStatus() with { State = ReplicatedSlot.Up, Verify = slot.Verify is { IsCompleted: false } ? "running" : null };
            }
            catch (ObjectDisposedException)
            {
                return new ReplicaStatus { Resource = slot.Resource.Name, State = ReplicatedSlot.Down };
            }
        }
        return new ReplicaStatus { Resource = slot.Resource.Name, State = slot.State, Reason = slot.Reason };
    }

    private static string ActionName(ReplicationAction action) => action switch
    {
        ReplicationAction.NewCurrentUuid => "new-current-uuid",
        ReplicationAction.ResumeIo => "resume-io",
        _ => action.ToString().ToLowerInvariant(),
    };

    [LoggerMessage(EventId = 340, EventName = "Tandem.Daemon.ReplicaUp", Level = LogLevel.Information,
        Message = "Replicated volume {Name} is up as {Role} ({Disk}), connecting to {Peer}")]
    private static partial void LogUp(ILogger logger, string name, Role role, DiskState disk, string peer);

    [LoggerMessage(EventId = 341, EventName = "Tandem.Daemon.ReplicaNoMetadata", Level = LogLevel.Error,
        Message = "Replicated volume {Name} has no metadata ({Reason}): run tandem volume create-md")]
    private static partial void LogNoMetadata(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 342, EventName = "Tandem.Daemon.ReplicaDemoteFailed", Level = LogLevel.Warning,
        Message = "Replicated volume {Name} could not be demoted before closing ({Reason}); the next start resyncs its activity log")]
    private static partial void LogDemoteFailed(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 343, EventName = "Tandem.Daemon.VerifyFailed", Level = LogLevel.Warning,
        Message = "Online verify of {Name} failed: {Reason}")]
    private static partial void LogVerifyFailed(ILogger logger, string name, string reason);
}
