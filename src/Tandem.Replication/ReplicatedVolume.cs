using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Resync;
using Tandem.Replication.Transport;
using Tandem.Replication.Uuids;
using Tandem.Replication.Verify;
using Tandem.Replication.Writes;

namespace Tandem.Replication;

/// <summary>
/// A replicated volume (one DRBD volume of a two-node resource): every write goes to the local
/// backing and, concurrently, to the peer, and completes as the replication protocol promises
/// (drbd.md §1.1); write order on the peer is kept by epochs and barriers (§1.2); writes while the
/// peer is away are recorded in the quick-sync bitmap and resynchronised on reconnect (§4), after
/// the generation UUIDs decided the direction (§3).
/// </summary>
public sealed partial class ReplicatedVolume : IBlockVolume, IVolumeHost
{
    private readonly ReplicatedVolumeOptions _options;
    private readonly IBlockVolume _backing;
    private readonly ReplicaMetadata _md;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly VolumeEvents _events;
    private readonly ReplicaDisk _disk;
    private readonly StripeLocks _stripes = new();
    private readonly ResyncSource _resyncSource;
    private readonly OnlineVerify _verify;
    private readonly FrameDispatcher _frames;

    private Role _role = Role.Secondary;
    private Role _peerRole = Role.Unknown;
    private DiskState _peerDisk = DiskState.DUnknown;
    private ConnectionState _connection = ConnectionState.StandAlone;
    private ReplicationState _replication = ReplicationState.Off;
    private long _size;
    private bool _discardMyData;
    private bool _wantConnect;
    private bool _disposed;
    private PeerSession? _session;
    private IPeerTransport _transport = null!;
    private PeerTls? _tls;
    private Task? _connector;
    private TaskCompletionSource? _gate;
    private TaskCompletionSource? _drained;
    private int _inflight;
    private long _sentBytesBefore; // by sessions that ended

    // Primary side: requests awaiting their ack, epochs awaiting their barrier ack (under _lock).
    private readonly TransferLog _log = new();

    private ReplicatedVolume(ReplicatedVolumeOptions options, IBlockVolume backing, ReplicaMetadata md, IEventSink? events, ILogger logger, TimeProvider time)
    {
        _options = options;
        _backing = backing;
        _md = md;
        _time = time;
        _size = md.LastAgreedSize > 0 ? Math.Min(md.LastAgreedSize, md.UsableSize) : md.UsableSize;
        _events = new VolumeEvents(options, events, logger, _stop.Token);
        _disk = new ReplicaDisk(md, _lock, _events);
        _resyncSource = new ResyncSource(options, this, backing, _disk, _stripes, _events, time);
        _verify = new OnlineVerify(this, backing, md, _events);
        _frames = CreateFrameDispatcher(new ResyncTarget(this, backing, _disk, _events, time), new PeerDigests(this, backing));
    }

    /// <summary>Opens a replica on a backing that has metadata (see <see cref="ReplicaMetadata.CreateAsync(IBlockVolume, IBlockVolume?, ReplicatedResourceSpec, bool, CancellationToken)"/>), as Secondary and StandAlone; call <see cref="ConnectAsync"/> to reach the peer.
    /// It listens on <see cref="ReplicatedVolumeOptions.Listen"/> and dials <see cref="ReplicatedVolumeOptions.Peer"/> over TCP (TLS when the options name a certificate).</summary>
    /// <param name="options">How it runs.</param>
    /// <param name="backing">The data backing.</param>
    /// <param name="externalMetadata">The metadata device, or null for internal metadata.</param>
    /// <param name="events">Where state changes are reported, or null.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <param name="time">The clock, or null for the system clock.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The volume.</returns>
    public static Task<ReplicatedVolume> OpenAsync(ReplicatedVolumeOptions options, IBlockVolume backing, IBlockVolume? externalMetadata,
        IEventSink? events, ILogger? logger, TimeProvider? time, CancellationToken cancellationToken) =>
        OpenAsync(options, backing, externalMetadata, events, logger, time, transport: null, cancellationToken);

    /// <summary>Opens a replica as <see cref="OpenAsync(ReplicatedVolumeOptions, IBlockVolume, IBlockVolume?, IEventSink?, ILogger?, TimeProvider?, CancellationToken)"/> does, reaching its peer through <paramref name="transport"/>
    /// (an <see cref="InMemoryPeerLink"/>'s, for two replicas in one process); TLS, when the options name a certificate, runs over it.</summary>
    /// <param name="options">How it runs (its addresses are not used with a transport given).</param>
    /// <param name="backing">The data backing.</param>
    /// <param name="externalMetadata">The metadata device, or null for internal metadata.</param>
    /// <param name="events">Where state changes are reported, or null.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <param name="time">The clock, or null for the system clock.</param>
    /// <param name="transport">How the peer is reached, or null for TCP on the options' addresses. The volume owns it (disposes it when it stops).</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The volume.</returns>
    public static async Task<ReplicatedVolume> OpenAsync(ReplicatedVolumeOptions options, IBlockVolume backing, IBlockVolume? externalMetadata,
        IEventSink? events, ILogger? logger, TimeProvider? time, IPeerTransport? transport, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backing);
        var tls = PeerTls.Create(options); // fails here, not at the first connect, on a bad certificate
        var md = await ReplicaMetadata.OpenAsync(backing, externalMetadata, cancellationToken).ConfigureAwait(false);
        var v = new ReplicatedVolume(options, backing, md, events, logger ?? NullLogger.Instance, time ?? TimeProvider.System);
        transport ??= new TcpPeerTransport(options.Listen, options.Peer);
        // TLS runs inside each connection's handshake (concurrent, with its deadline), not in the
        // transport's accept, where one silent connection would hold up the next (issue #18 item 5).
        v._tls = tls;
        v._transport = transport;
        v._transport.Start();
        v._connector = v.ConnectorLoopAsync(v._stop.Token);
        return v;
    }

    /// <summary>The agreed size in bytes.</summary>
    public long Size => Interlocked.Read(ref _size);

    /// <inheritdoc />
    public int MinimumBlockSize => 1;

    /// <inheritdoc />
    public int PreferredBlockSize => 4096;

    /// <inheritdoc />
    public VolumeFeatures Features => VolumeFeatures.WriteZeroes | (Role == Role.Primary ? VolumeFeatures.None : VolumeFeatures.ReadOnly);

    /// <summary>This node's role.</summary>
    public Role Role { get { lock (_lock) { return _role; } } }

    /// <summary>The peer's role as last reported.</summary>
    public Role PeerRole { get { lock (_lock) { return _peerRole; } } }

    /// <summary>This node's disk state.</summary>
    public DiskState Disk => _disk.State;

    /// <summary>The peer's disk state as last reported.</summary>
    public DiskState PeerDisk { get { lock (_lock) { return _peerDisk; } } }

    /// <summary>The connection state.</summary>
    public ConnectionState Connection { get { lock (_lock) { return _connection; } } }

    /// <summary>The replication state.</summary>
    public ReplicationState Replication { get { lock (_lock) { return _replication; } } }

    /// <summary>The generation UUIDs.</summary>
    public GenerationUuids Uuids => _md.Uuids;

    /// <summary>Bytes marked out of sync.</summary>
    public long OutOfSyncBytes => _md.Bitmap.OutOfSyncBytes;

    /// <summary>Bytes sent to the peer over every session so far (frame headers included): what replication and resync cost on the wire.</summary>
    public long SentBytes
    {
        get
        {
            lock (_lock)
            {
                return _sentBytesBefore + (_session?.Connection.BytesSent ?? 0);
            }
        }
    }

    /// <summary>The metadata (bitmap, activity log, flags).</summary>
    public ReplicaMetadata Metadata => _md;

    /// <summary>The resource name.</summary>
    public string Resource => _options.Resource;

    /// <summary>Promotes to Primary: only from UpToDate data, or with <paramref name="force"/> (logged), and never while the peer is Primary.</summary>
    /// <param name="force">Make this node's data the up-to-date generation whatever its state (the initial-sync source).</param>
    /// <param name="cancellationToken">Cancels the metadata write.</param>
    /// <returns>Completes when Primary.</returns>
    /// <exception cref="InvalidOperationException">Refused, with the reason.</exception>
    public async Task PromoteAsync(bool force, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        DiskState disk;
        lock (_lock)
        {
            if (_role == Role.Primary)
            {
                return;
            }
            if (_peerRole == Role.Primary)
            {
                throw new InvalidOperationException($"{Resource}: the peer is Primary; demote it first (two primaries are not allowed)");
            }
            disk = _disk.StateLocked;
            if (disk != DiskState.UpToDate && !force)
            {
                throw new InvalidOperationException($"{Resource}: refusing to promote with disk state {disk}: only UpToDate data may become Primary (use --force to make this node's data current)");
            }
            if (disk is DiskState.Diskless or DiskState.Failed)
            {
                throw new InvalidOperationException($"{Resource}: no local disk (state {disk})");
            }
        }
        if (!force)
        {
            await FenceBeforePromoteAsync().ConfigureAwait(false);
        }
        if (force && disk != DiskState.UpToDate)
        {
            Log.ForcedPromotion(_events.Logger, Resource, disk);
            await _disk.PromoteForcedAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _disk.MarkPrimaryAsync(cancellationToken).ConfigureAwait(false);
        }
        SetRole(Role.Primary, force ? "promoted (forced)" : "promoted");
        PeerSession? s;
        lock (_lock)
        {
            s = _session;
        }
        s?.SendState(Role.Primary, Disk);
        if (force && disk != DiskState.UpToDate && s is not null)
        {
            // The forced generation is new: the peer must resync from it. Reconnect to decide.
            s.Abort();
        }
    }

    /// <summary>Demotes to Secondary once every write is acknowledged by the peer (the transfer log is empty) or the peer is gone.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Completes when Secondary.</returns>
    public async Task DemoteAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (Role != Role.Primary)
        {
            return;
        }
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await WaitTransferLogEmptyAsync(cancellationToken).ConfigureAwait(false);
        SetRole(Role.Secondary, "demoted");
        await _disk.MarkSecondaryAsync(cancellationToken).ConfigureAwait(false);
        PeerSession? s;
        lock (_lock)
        {
            s = _session;
        }
        s?.SendState(Role.Secondary, Disk);
    }

    /// <summary>Starts connecting to the peer (leaves StandAlone).</summary>
    /// <param name="discardMyData">On split brain, this node is the victim: its diverging blocks are overwritten from the peer.</param>
    /// <returns>Completes at once; watch <see cref="Connection"/> or the events.</returns>
    public Task ConnectAsync(bool discardMyData = false)
    {
        ThrowIfDisposed();
        lock (_lock)
        {
            _discardMyData = discardMyData;
            _wantConnect = true;
            if (_connection == ConnectionState.StandAlone)
            {
                SetConnectionLocked(ConnectionState.Connecting, discardMyData ? "connect --discard-my-data" : "connect");
            }
        }
        _wake.Release();
        return Task.CompletedTask;
    }

    /// <summary>Disconnects and stays StandAlone.</summary>
    /// <returns>Completes when disconnected.</returns>
    public async Task DisconnectAsync()
    {
        PeerSession? s;
        lock (_lock)
        {
            _wantConnect = false;
            s = _session;
        }
        if (s is not null)
        {
            await s.CloseAsync().ConfigureAwait(false);
        }
        lock (_lock)
        {
            SetConnectionLocked(ConnectionState.StandAlone, "disconnect");
        }
    }

    /// <summary>
    /// Discards this node's data: every block out of sync, disk Inconsistent, then a full resync
    /// from the peer as sync target (DRBD's <c>invalidate</c>). Needs a connected UpToDate peer and
    /// this node Secondary.
    /// </summary>
    /// <param name="cancellationToken">Cancels the metadata write.</param>
    /// <returns>Completes when the resync was started.</returns>
    public async Task InvalidateAsync(CancellationToken cancellationToken)
    {
        PeerSession? s;
        lock (_lock)
        {
            if (_role != Role.Secondary || _session is null || _peerDisk != DiskState.UpToDate)
            {
                throw new InvalidOperationException($"{Resource}: invalidate needs this node Secondary and a connected UpToDate peer");
            }
            s = _session;
        }
        await _disk.InvalidateAsync(cancellationToken).ConfigureAwait(false);
        // Reconnecting makes the handshake decide: exactly one side Inconsistent → full sync target.
        s.Abort();
    }

    /// <summary>
    /// Skips the initial full sync of two new, empty (identically zeroed) replicas: both must be
    /// connected and just created; this node mints the first generation and both become UpToDate
    /// (DRBD's <c>new-current-uuid --clear-bitmap</c>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the metadata write.</param>
    /// <returns>Completes when this side is UpToDate.</returns>
    public async Task SkipInitialSyncAsync(CancellationToken cancellationToken)
    {
        PeerSession? s;
        lock (_lock)
        {
            s = _session;
            if (s is null || _replication != ReplicationState.Established
                || GenerationUuids.Mask(_md.Uuids.Current) != GenerationUuids.JustCreated || _disk.StateLocked != DiskState.Inconsistent || _peerDisk != DiskState.Inconsistent)
            {
                throw new InvalidOperationException($"{Resource}: skipping the initial sync needs both replicas just created, Inconsistent and connected");
            }
        }
        await _disk.SkipInitialSyncAsync(cancellationToken).ConfigureAwait(false);
        s.Send(FrameType.SyncDone, ReplicationMessages.Uuids(_md.Uuids, extra: 1), control: true);
        lock (_lock)
        {
            _peerDisk = DiskState.UpToDate;
        }
    }

    /// <summary>
    /// Online verify (drbd.md §4.3): compares a digest (<c>verify-alg</c>) of every 4 KiB block with
    /// the peer's and marks the differing blocks out of sync. With <paramref name="resyncFromHere"/>
    /// this node then resyncs them to the peer at once (it must be the one with the right data);
    /// otherwise they stay marked, as in DRBD.
    /// </summary>
    /// <param name="resyncFromHere">Resync the differences with this node as source.</param>
    /// <param name="cancellationToken">Cancels the verify.</param>
    /// <returns>The number of bytes found out of sync.</returns>
    public async Task<long> VerifyAsync(bool resyncFromHere, CancellationToken cancellationToken)
    {
        PeerSession s;
        lock (_lock)
        {
            if (_session is null || _replication != ReplicationState.Established || _disk.StateLocked != DiskState.UpToDate)
            {
                throw new InvalidOperationException($"{Resource}: verify needs an established connection and UpToDate data");
            }
            s = _session;
        }
        if (resyncFromHere && PeerRole == Role.Primary)
        {
            throw new InvalidOperationException($"{Resource}: refusing to overwrite the Primary's data from this Secondary; verify from the Primary");
        }
        var found = await _verify.RunAsync(s, OnlineVerify.CheckAlgorithm(Resource, _options.VerifyAlg), cancellationToken).ConfigureAwait(false);
        if (resyncFromHere && found > 0)
        {
            await _resyncSource.StartAsync(s, "resync after online verify", cancellationToken).ConfigureAwait(false);
        }
        return found;
    }

    /// <summary>A snapshot for <c>tandem status</c> (the spirit of /proc/drbd).</summary>
    /// <returns>The volume's state.</returns>
    public ReplicaStatus GetStatus()
    {
        lock (_lock)
        {
            return new ReplicaStatus
            {
                Resource = Resource,
                Role = _role.ToString(),
                PeerRole = _peerRole.ToString(),
                Disk = _disk.StateLocked.ToString(),
                PeerDisk = _peerDisk.ToString(),
                Connection = _connection.ToString(),
                Replication = _replication.ToString(),
                Protocol = _options.Protocol.ToString(),
                WriteOrdering = _options.DiskFlushes ? "flush" : "drain",
                Size = _size,
                OutOfSyncBytes = _md.Bitmap.OutOfSyncBytes,
                SentBytes = _sentBytesBefore + (_session?.Connection.BytesSent ?? 0),
                Uuids = _md.Uuids.ToString(),
                IoFrozen = _frozen is not null,
                PeerOutdated = (_md.Flags & MetadataFlags.PeerOutdated) != 0,
                Sync = _session?.Resync?.ToStatus(_md.Bitmap.OutOfSyncBytes, _time.GetUtcNow()),
                RejectedConnections = Interlocked.Read(ref _rejectedConnections),
                LastRejectedConnection = _lastRejection,
            };
        }
    }

    /// <summary>Simulates power loss of this node: the connection is cut and nothing more is written or sent.</summary>
    internal async Task CrashAsync()
    {
        PeerSession? s;
        lock (_lock)
        {
            _disposed = true;
            _wantConnect = false;
            s = _session;
        }
        s?.Abort();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _wake.Release();
        if (_connector is not null)
        {
            await _connector.ConfigureAwait(false);
        }
    }

    /// <summary>Cuts the connection (a network failure); the volume reconnects if it was connecting.</summary>
    internal void CutConnection()
    {
        lock (_lock)
        {
            _session?.Abort();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _wantConnect = false;
        }
        PeerSession? s;
        lock (_lock)
        {
            s = _session;
        }
        if (s is not null)
        {
            await s.CloseAsync().ConfigureAwait(false);
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _wake.Release();
        if (_connector is not null)
        {
            await _connector.ConfigureAwait(false);
        }
        Thaw("shutting down");
        if (!_disk.Attached)
        {
            return; // a detached disk is not touched again
        }
        try
        {
            await _md.FlushBitmapAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A failed disk: the bitmap bits in the AL still over-approximate.
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void SetRole(Role role, string reason)
    {
        Role old;
        lock (_lock)
        {
            (old, _role) = (_role, role);
        }
        if (old != role)
        {
            Log.RoleChanged(_events.Logger, Resource, old, role, reason);
            _events.Changed("volume.role", old, role, reason);
        }
    }

    private void SetConnectionLocked(ConnectionState state, string reason)
    {
        var old = _connection;
        _connection = state;
        if (old != state)
        {
            Log.ConnectionChanged(_events.Logger, Resource, old, state, reason);
            _events.Changed("volume.connection", old, state, reason);
        }
    }

    /// <inheritdoc />
    ValueTask IVolumeHost.LocalAsync(Func<ValueTask> io) => LocalAsync(io);

    /// <summary>The volume's replication state during a resync.</summary>
    void IVolumeHost.EnterResync(PeerSession session, ReplicationState side, ResyncProgress progress)
    {
        lock (_lock)
        {
            _replication = side;
            if (side == ReplicationState.SyncSource)
            {
                _peerDisk = DiskState.Inconsistent;
            }
            session.Resync = progress;
        }
    }

    /// <summary>The volume's replication state after a resync.</summary>
    void IVolumeHost.EndResync(PeerSession session)
    {
        lock (_lock)
        {
            _replication = ReplicationState.Established;
            _peerDisk = DiskState.UpToDate;
            session.Resync = null;
        }
    }

    private bool IAmDialer => _options.PeerName is { } peer
        ? string.CompareOrdinal(_options.NodeName, peer) < 0
        : string.CompareOrdinal(_options.Listen.ToString(), _options.Peer.ToString()) < 0;

    private static IPEndPoint Endpoint(EndPoint? e) => e as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
}
