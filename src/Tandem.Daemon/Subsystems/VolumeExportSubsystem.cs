using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Status;
using Tandem.Core.Volumes;
using Tandem.Daemon.Status;
using Tandem.Nbd;
using Tandem.Nbd.Attach;
using Tandem.Nbd.Tls;
using Tandem.Replication;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// Serves this node's volumes over NBD: for every replicated resource with a host section for this
/// node, each volume's backing <c>disk</c> is opened and exported on <c>RUN_DIR/nbd/&lt;export&gt;.sock</c>
/// (and on the node's <c>nbd_listen</c> TCP address for the first export). Shows them as the
/// <c>volumes</c> section of <c>tandem status</c>, and attaches and detaches them as block devices for
/// the control API. A volume whose resource also names a peer host with an address is replicated:
/// it is opened as a <see cref="Tandem.Replication.ReplicatedVolume"/> (with its metadata), connected
/// to the peer, and that replicated volume is what the export serves; a volume without a peer serves
/// its local backing directly.
/// </summary>
public sealed partial class VolumeExportSubsystem : IHostedService, IStatusSection, IAsyncDisposable
{
    /// <summary>What status says about replication of a volume without a peer.</summary>
    public const string LocalBacking = "local backing";

    private readonly NodeContext _node;
    private readonly IEventSink _events;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<VolumeExportSubsystem> _logger;
    private readonly MembershipSubsystem? _membership;
    private readonly NbdExportService _service;
    private readonly SemaphoreSlim _attachLock = new(1, 1);
    // Status and the control API read these while StartAsync fills them: the list is replaced whole.
    private IReadOnlyList<Planned> _planned = [];
    private readonly ConcurrentDictionary<string, string> _unavailable = new(StringComparer.Ordinal);
    private readonly List<IBlockVolume> _opened = [];
    private readonly PeerOutdater _outdater;
    // The NBD server options of every export: TLS for TCP, or the insecure opt-in (SecureTcp).
    private NbdServerOptions _serverOptions = new();

    /// <summary>Creates the subsystem; nothing is opened until <see cref="StartAsync"/>.</summary>
    /// <param name="node">This node and the cluster.</param>
    /// <param name="events">Where state changes go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">The loggers.</param>
    /// <param name="membership">Membership, whose cluster channel carries the outdate-peer requests of fencing; null when not hosted.</param>
    /// <param name="fencing">The fencing coordinator, asked whether a dead peer was fenced; null when not hosted.</param>
    public VolumeExportSubsystem(NodeContext node, IEventSink events, TimeProvider time, ILoggerFactory loggers,
        MembershipSubsystem? membership = null, Failover.FencingSubsystem? fencing = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(loggers);
        _node = node;
        _events = events;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<VolumeExportSubsystem>();
        _membership = membership;
        Attacher = new VolumeAttacher(AttachDirectory(node.Options.RunDirectory), loggers.CreateLogger<VolumeAttacher>(), time);
        _service = new NbdExportService(events, loggers.CreateLogger<NbdExportService>(), time, Attacher);
        _outdater = new PeerOutdater(node.NodeName, time, loggers.CreateLogger<PeerOutdater>(), membership, fencing, OutdateForPeerAsync);
    }

    /// <summary>Attaches exports as block devices; its state lives in <see cref="AttachDirectory"/>.</summary>
    public VolumeAttacher Attacher { get; }

    /// <summary>The NBD exports being served.</summary>
    public NbdExportService Exports => _service;

    /// <inheritdoc/>
    public string Name => "volumes";

    /// <summary>The directory of a run directory's NBD sockets.</summary>
    /// <param name="runDirectory">The daemon's run directory.</param>
    /// <returns>RUN_DIR/nbd.</returns>
    public static string NbdDirectory(string runDirectory) => Path.Combine(runDirectory, "nbd");

    /// <summary>
    /// Where attachments are recorded: RUN_DIR/nbd/attach. It survives a daemon restart or crash (so
    /// that detach still works), and goes with a reboot, as the loop and NBD devices it records do.
    /// </summary>
    /// <param name="runDirectory">The daemon's run directory.</param>
    /// <returns>RUN_DIR/nbd/attach.</returns>
    public static string AttachDirectory(string runDirectory) => Path.Combine(NbdDirectory(runDirectory), "attach");

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var nbdDirectory = NbdDirectory(_node.Options.RunDirectory);
        if (!Directory.Exists(nbdDirectory))
        {
            Directory.CreateDirectory(nbdDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        _outdater.Start();
        var tcp = SecureTcp(ParseTcp(_node.Node.NbdListen));
        var planned = new List<Planned>();
        foreach (var resource in _node.Spec.Replicated)
        {
            var host = resource.FindHost(_node.NodeName);
            if (host is null)
            {
                continue;
            }
            foreach (var volume in host.Volumes)
            {
                var name = host.Volumes.Count > 1
                    ? string.Create(CultureInfo.InvariantCulture, $"{resource.Name}-{volume.Number}")
                    : resource.Name;
                if (string.Equals(volume.Disk, "none", StringComparison.Ordinal))
                {
                    LogDisklessSkipped(_logger, name);
                    continue;
                }
                var slot = HasPeer(resource, host) ? new ReplicatedSlot(name, resource, volume) : null;
                planned.Add(new Planned(name, resource.Name, volume.Number, volume.Device, volume.Disk,
                    Path.Combine(nbdDirectory, name + ".sock"), slot));
            }
        }
        _planned = planned;
        foreach (var plan in planned)
        {
            if (plan.Slot is { } slot)
            {
                // A replicated volume keeps the TCP address even while it is down or lacks metadata,
                // so that `tandem volume up` after create-md serves where the configuration says.
                slot.Tcp = tcp;
                tcp = null;
                await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await UpSlotAsync(plan, slot, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    slot.Gate.Release();
                }
                continue;
            }
            await StartOneAsync(plan, tcp, cancellationToken).ConfigureAwait(false);
            if (_service.FindServer(plan.Name)?.TcpEndPoint is not null)
            {
                tcp = null; // one TCP address per node: the first export that could take it has it
            }
        }
        if (tcp is not null && planned.Count > 0)
        {
            LogTcpUnused(_logger, tcp.ToString());
        }
        var others = _service.ExportNames.Where(n => _service.FindServer(n)?.TcpEndPoint is null).ToList();
        if (_node.Node.NbdListen is not null && others.Count > 0)
        {
            LogUnixOnly(_logger, string.Join(", ", others));
        }
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Attached devices are left alone: detaching would yank a device from under a mounted file
        // system. Their I/O fails until the daemon is back and they are attached again (docs/volumes-nbd.md).
        await _service.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var plan in _planned)
        {
            if (plan.Slot is { } slot)
            {
                await StopSlotAsync(plan, slot, cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var volume in _opened)
        {
            await volume.DisposeAsync().ConfigureAwait(false);
        }
        _opened.Clear();
        await _outdater.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _attachLock.Dispose();
    }

    /// <summary>Attaches an export as a block device on this machine.</summary>
    /// <param name="name">The export (resource) name.</param>
    /// <param name="link">Whether to point the configured <c>device</c> at it with a symlink.</param>
    /// <param name="cancellationToken">Cancels the attach (what was done is undone).</param>
    /// <returns>The device.</returns>
    /// <exception cref="VolumeOperationException">The export is unknown, the link would replace a real file, it is already attached, or a step failed.</exception>
    public async Task<AttachedDevice> AttachAsync(string name, bool link, CancellationToken cancellationToken)
    {
        var plan = _planned.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
        if (plan is null || _service.FindServer(name) is null)
        {
            var why = _unavailable.TryGetValue(name, out var reason)
                ? $"volume {name} is not exported: {reason}"
                : $"no volume named {name} is exported by this node (exports: {List(_service.ExportNames)})";
            throw new VolumeOperationException(VolumeOperationError.NotFound, why);
        }
        string? linkPath = null;
        if (link && plan.Device.Length > 0)
        {
            linkPath = plan.Device;
            var info = new FileInfo(linkPath);
            if ((info.Exists || Directory.Exists(linkPath)) && info.LinkTarget is null)
            {
                throw new VolumeOperationException(VolumeOperationError.Conflict,
                    $"{linkPath} (the configured device of {name}) exists and is not a symlink; Tandem never replaces it. Attach with --no-link, or remove it if it is a leftover");
            }
        }
        await _attachLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Attacher.Find(name) is { } existing)
            {
                throw new VolumeOperationException(VolumeOperationError.Conflict,
                    $"{name} is already attached as {existing.DevicePath}; detach it first (tandem volume detach {name})");
            }
            try
            {
                var device = await Attacher.AttachAsync(plan.SocketPath, new AttachOptions { Name = name, ExportName = plan.Name, Link = linkPath }, cancellationToken).ConfigureAwait(false);
                Publish("volume.attached", name, $"attached as {device.DevicePath}", new Dictionary<string, string>
                {
                    ["device"] = device.DevicePath,
                    ["method"] = device.Method.ToString(),
                    ["link"] = device.Link ?? "",
                });
                return device;
            }
            catch (Exception e) when (e is AttachException or IOException or UnauthorizedAccessException)
            {
                throw new VolumeOperationException(VolumeOperationError.Failed, e.Message, e);
            }
        }
        finally
        {
            _attachLock.Release();
        }
    }

    /// <summary>Detaches an attachment completely; detaching what is not attached does nothing.</summary>
    /// <param name="name">The export (resource) name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The device it was attached as, or null when nothing was recorded.</returns>
    /// <exception cref="VolumeOperationException">The name is malformed, or detaching failed (the device is busy).</exception>
    public async Task<AttachedDevice?> DetachAsync(string name, CancellationToken cancellationToken)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.StartsWith('.'))
        {
            throw new VolumeOperationException(VolumeOperationError.BadRequest, $"'{name}' is not a volume name");
        }
        await _attachLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = Attacher.Find(name);
            try
            {
                // The attacher keeps its files there, also while cleaning up what was never recorded.
                Directory.CreateDirectory(AttachDirectory(_node.Options.RunDirectory));
                await Attacher.DetachAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AttachException or IOException or UnauthorizedAccessException)
            {
                throw new VolumeOperationException(VolumeOperationError.Failed, e.Message, e);
            }
            if (state is not null)
            {
                Publish("volume.detached", name, $"detached {state.DevicePath}", new Dictionary<string, string> { ["device"] = state.DevicePath });
            }
            return state;
        }
        finally
        {
            _attachLock.Release();
        }
    }

    /// <inheritdoc/>
    public object GetSnapshot() => GetVolumes();

    /// <summary>The <c>volumes</c> status section: every volume planned on this node.</summary>
    /// <returns>The volumes.</returns>
    public VolumeStatus[] GetVolumes()
    {
        var exports = _service.GetSnapshot();
        return [.. _planned.Select(plan => Describe(plan, exports))];
    }

    private VolumeStatus Describe(Planned plan, IReadOnlyDictionary<string, NbdExportStatus> exports)
    {
        var replication = plan.Slot is { } slot ? SlotStatus(slot) : new ReplicaStatus { Resource = plan.Resource, State = ReplicaStatus.NotReplicated, Reason = LocalBacking };
        var item = new VolumeStatus
        {
            Name = plan.Name,
            Resource = plan.Resource,
            Volume = plan.Volume,
            Disk = plan.Disk,
            State = "starting",
            Device = plan.Device,
            Replication = replication,
        };
        if (exports.TryGetValue(plan.Name, out var export))
        {
            return item with
            {
                State = "exported",
                Size = export.Size,
                Socket = export.Socket,
                Tcp = export.Tcp,
                Device = export.Device,
                AttachedDevice = export.AttachedDevice,
                AttachMethod = export.AttachMethod,
                ClientCount = export.ClientCount,
                Clients = export.Clients,
            };
        }
        if (plan.Slot is { State: ReplicatedSlot.Down } down)
        {
            return item with { State = ReplicatedSlot.Down, Reason = down.Reason };
        }
        return _unavailable.TryGetValue(plan.Name, out var reason) ? item with { State = "unavailable", Reason = reason } : item;
    }

    private async Task StartOneAsync(Planned plan, IPEndPoint? tcp, CancellationToken cancellationToken)
    {
        IBlockVolume volume;
        try
        {
            volume = Watched(FileVolume.Open(plan.Disk), plan.Name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            MarkUnavailable(plan, $"cannot open the backing {plan.Disk}: {e.Message}");
            return;
        }
        var definition = new NbdExportDefinition(plan.Name, volume, plan.SocketPath)
        {
            TcpEndPoint = tcp,
            Options = _serverOptions,
            Device = plan.Device,
            Description = string.Create(CultureInfo.InvariantCulture, $"tandem volume {plan.Resource}/{plan.Volume} on {_node.NodeName} ({plan.Disk})"),
        };
        if (!await ServeAsync(plan, definition, cancellationToken).ConfigureAwait(false))
        {
            await volume.DisposeAsync().ConfigureAwait(false);
            return;
        }
        _opened.Add(volume);
    }

    /// <summary>Starts an export, on its Unix socket alone when the TCP address cannot be had; false (and marked unavailable) when it cannot be served at all.</summary>
    private async Task<bool> ServeAsync(Planned plan, NbdExportDefinition definition, CancellationToken cancellationToken)
    {
        var tcp = definition.TcpEndPoint;
        try
        {
            await _service.StartExportAsync(definition, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (tcp is not null)
        {
            // The TCP address is taken or not ours: the Unix socket still serves this machine.
            LogTcpFailed(_logger, plan.Name, tcp.ToString(), e.Message);
            Publish("nbd.tcp.unavailable", plan.Name, $"cannot listen on {tcp}: {e.Message}", null);
            try
            {
                await _service.StartExportAsync(definition with { TcpEndPoint = null }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e2) when (e2 is IOException or SocketException or InvalidOperationException or UnauthorizedAccessException)
            {
                MarkUnavailable(plan, $"cannot serve on {plan.SocketPath}: {e2.Message}");
                return false;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or UnauthorizedAccessException)
        {
            MarkUnavailable(plan, $"cannot serve on {plan.SocketPath}: {e.Message}");
            return false;
        }
        return true;
    }

    private void MarkUnavailable(Planned plan, string reason)
    {
        _unavailable[plan.Name] = reason;
        LogUnavailable(_logger, plan.Name, reason);
        Publish("volume.unavailable", plan.Name, reason, new Dictionary<string, string> { ["disk"] = plan.Disk });
    }

    private IPEndPoint? ParseTcp(string? listen)
    {
        if (listen is null)
        {
            return null;
        }
        if (IPEndPoint.TryParse(listen, out var endPoint) && endPoint.Port != 0)
        {
            return endPoint;
        }
        LogTcpFailed(_logger, "*", listen, "nbd_listen must be IP:PORT (IPv6 in brackets)");
        Publish("nbd.tcp.unavailable", _node.NodeName, $"nbd_listen '{listen}' is not IP:PORT; serving on Unix sockets only", null);
        return null;
    }

    /// <summary>
    /// TLS for the TCP listener (issue #18 item 4): loads the node's nbd_tls_* files into
    /// <see cref="_serverOptions"/>; without TLS, TCP is served only with the explicit
    /// nbd_insecure opt-in. Returns the address to serve on, or null when TCP cannot be served safely.
    /// </summary>
    private IPEndPoint? SecureTcp(IPEndPoint? tcp)
    {
        if (tcp is null)
        {
            return null;
        }
        if (_node.Node.NbdTls is { } tls)
        {
            try
            {
                _serverOptions = _serverOptions with { Tls = NbdTlsOptions.Load(tls.Certificate, tls.Key, tls.ClientCa, tls.VerifyClient) };
                return tcp;
            }
            catch (NbdTlsConfigurationException e)
            {
                LogTcpFailed(_logger, "*", tcp.ToString(), e.Message);
                Publish("nbd.tcp.unavailable", _node.NodeName, $"{e.Message}; serving on Unix sockets only", null);
                return null;
            }
        }
        if (_node.Node.NbdInsecure)
        {
            _serverOptions = _serverOptions with { AllowPlainTcp = true };
            LogPlainTcp(_logger, tcp.ToString());
            return tcp;
        }
        const string Reason = "nbd_listen without TLS needs the explicit nbd_insecure = true (plain NBD lets anyone who can connect read and write the volume); set nbd_tls_certificate";
        LogTcpFailed(_logger, "*", tcp.ToString(), Reason);
        Publish("nbd.tcp.unavailable", _node.NodeName, Reason + "; serving on Unix sockets only", null);
        return null;
    }

    /// <summary>
    /// Checks the backing every second (size, device and inode, deletion: issue #18 item 6) and
    /// reports a fault at once; the volume then fails every I/O, so on-io-error applies.
    /// </summary>
    private FileVolume Watched(FileVolume file, string name)
    {
        file.BackingFaulted += reason => Publish("volume.backing.failed", name, reason,
            new Dictionary<string, string> { ["backing"] = file.Path, ["identity"] = file.Identity });
        file.StartMonitoring(_time, TimeSpan.FromSeconds(1));
        return file;
    }

    private void Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data)
    {
        try
        {
            _events.Publish(kind, subject, reason, data);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failing event sink must not take an export down; the log line still tells.
            LogEventFailed(_logger, kind, e.Message);
        }
    }

    private static string List(IReadOnlyCollection<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    private sealed record Planned(string Name, string Resource, int Volume, string Device, string Disk, string SocketPath, ReplicatedSlot? Slot);

    [LoggerMessage(EventId = 320, EventName = "Tandem.Daemon.VolumeUnavailable", Level = LogLevel.Error,
        Message = "Volume {Name} is not exported: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 321, EventName = "Tandem.Daemon.VolumeDiskless", Level = LogLevel.Information,
        Message = "Volume {Name} has 'disk none' on this node: nothing to export")]
    private static partial void LogDisklessSkipped(ILogger logger, string name);

    [LoggerMessage(EventId = 322, EventName = "Tandem.Daemon.NbdTcpFailed", Level = LogLevel.Warning,
        Message = "NBD export {Name} cannot listen on TCP {Address}: {Reason}; it is served on its Unix socket only")]
    private static partial void LogTcpFailed(ILogger logger, string name, string address, string reason);

    [LoggerMessage(EventId = 323, EventName = "Tandem.Daemon.NbdUnixOnly", Level = LogLevel.Information,
        Message = "nbd_listen serves one export per node (the first); these are reached on their Unix sockets in RUN_DIR/nbd only: {Exports}")]
    private static partial void LogUnixOnly(ILogger logger, string exports);

    [LoggerMessage(EventId = 324, EventName = "Tandem.Daemon.NbdTcpUnused", Level = LogLevel.Warning,
        Message = "nbd_listen {Address} is configured but no export could take it")]
    private static partial void LogTcpUnused(ILogger logger, string address);

    [LoggerMessage(EventId = 326, EventName = "Tandem.Daemon.NbdPlainTcp", Level = LogLevel.Warning,
        Message = "NBD on TCP {Address} is plain (nbd_insecure = true): anyone who can connect can read and write the export")]
    private static partial void LogPlainTcp(ILogger logger, string address);

    [LoggerMessage(EventId = 325, EventName = "Tandem.Daemon.VolumeEventFailed", Level = LogLevel.Warning,
        Message = "Could not publish event {Kind}: {Reason}")]
    private static partial void LogEventFailed(ILogger logger, string kind, string reason);
}
