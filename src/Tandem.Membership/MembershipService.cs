using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Core.Status;
using Tandem.Membership.Detection;
using Tandem.Membership.Links;
using Tandem.Membership.Messaging;
using Tandem.Membership.Ping;
using Tandem.Membership.Wire;

namespace Tandem.Membership;

/// <summary>
/// Heartbeat membership for the local node: opens the configured links, sends a signed heartbeat on
/// every link each keepalive, authenticates and replay-checks what arrives, feeds the failure
/// detector, and carries the cluster channel. It is one <c>tandem status</c> section
/// (<c>membership</c>: nodes, links, rejected packets) and reports every change as an event.
/// </summary>
public sealed partial class MembershipService : IStatusSection, IAsyncDisposable
{
    private readonly ClusterSpec _spec;
    private readonly string _stateDirectory;
    private readonly IEventSink _events;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly MembershipOptions _options;
    private readonly PacketCodec _codec;
    private readonly RejectCounters _rejects;
    private readonly List<IHeartbeatLink> _links = [];
    private readonly List<(string Link, string Reason)> _failedLinks = [];
    private readonly List<Task> _loops = [];
    private CancellationTokenSource? _stop;
    private FailureDetector? _detector;
    private ClusterChannel? _channel;
    private PingMonitor? _ping;
    private readonly Dictionary<string, int> _peerScores = new(StringComparer.OrdinalIgnoreCase);
    private IpFailDecision _ipfail = IpFailDecision.Unknown;
    private IpFailDecision _ipfailCandidate = IpFailDecision.Unknown;
    private int _ipfailHeld;
    private ulong _generation;
    private long _sequence;
    private long _receiveErrors;
    private long _accepted;
    private ReplayFloor _replayFloor = ReplayFloor.InMemory();

    /// <summary>Creates the service; nothing is opened until <see cref="StartAsync"/>.</summary>
    /// <param name="spec">The cluster.</param>
    /// <param name="localNode">This node's name (a member of <paramref name="spec"/>).</param>
    /// <param name="stateDirectory">Where the generation is persisted.</param>
    /// <param name="events">Where state changes go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">The loggers.</param>
    /// <param name="options">Options, or null for defaults.</param>
    public MembershipService(ClusterSpec spec, string localNode, string stateDirectory, IEventSink events, TimeProvider time,
        ILoggerFactory loggers, MembershipOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(loggers);
        var auth = spec.Auth ?? throw new ArgumentException("the cluster has no authentication keys (authkeys)", nameof(spec));
        _spec = spec;
        _stateDirectory = stateDirectory;
        _events = events;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<MembershipService>();
        _options = options ?? new MembershipOptions();
        _codec = new PacketCodec(spec.Name, spec.Nodes.Select(n => n.Name), localNode, new PacketAuthenticator(auth));
        _rejects = new RejectCounters(_logger, time);
        if (spec.Links.Count == 0)
        {
            throw new ArgumentException("the cluster has no heartbeat links", nameof(spec));
        }
    }

    /// <inheritdoc/>
    public string Name => "membership";

    /// <summary>This node's name as the cluster spells it.</summary>
    public string LocalNode => _codec.LocalNode;

    /// <summary>This run's generation (0 before start).</summary>
    public ulong Generation => _generation;

    /// <summary>Rejected packets by reason.</summary>
    public RejectCounters Rejects => _rejects;

    /// <summary>The failure detector (after start).</summary>
    public FailureDetector Detector => _detector ?? throw new InvalidOperationException("membership is not started");

    /// <summary>The cluster message channel (after start).</summary>
    public ClusterChannel Channel => _channel ?? throw new InvalidOperationException("membership is not started");

    /// <summary>The ipfail rule's current decision (held for two keepalives before it changes).</summary>
    public IpFailDecision IpFail
    {
        get { lock (_peerScores) { return _ipfail; } }
    }

    /// <summary>The ping monitor (after start).</summary>
    public PingMonitor Ping => _ping ?? throw new InvalidOperationException("membership is not started");

    /// <summary>Advances the generation, opens the links and starts heartbeats and detection.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when heartbeats are flowing.</returns>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stop is not null)
        {
            throw new InvalidOperationException("membership is already started");
        }
        _generation = GenerationStore.Advance(_stateDirectory);
        // The replay windows start where the last run left off (issue #18 item 1).
        _replayFloor = ReplayFloor.Open(_stateDirectory);
        try
        {
            foreach (var spec in _spec.Links)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    _links.Add(_options.LinkFactory?.Invoke(spec) ?? LinkFactory.Open(spec, LocalNode, _loggers));
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or UnauthorizedAccessException)
                {
                    // One medium that cannot open (a missing interface or tty) must not take the
                    // node down: the other links still carry heartbeats, as redundancy intends.
                    _failedLinks.Add((spec.Name, e.Message));
                    LogLinkOpenFailed(_logger, spec.Name, e.Message);
                    _events.Publish("link.failed", spec.Name, $"link {spec.Name} could not be opened: {e.Message}");
                }
            }
        }
        catch
        {
            foreach (var l in _links)
            {
                l.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            _links.Clear();
            _replayFloor.Dispose();
            throw;
        }
        _stop = new CancellationTokenSource();
        var timing = _spec.Timing;
        _detector = new FailureDetector(LocalNode, _spec.Nodes.Select(n => n.Name), [.. _links.Select(l => l.Name)], timing, _events, _time,
            _loggers.CreateLogger<FailureDetector>(), _options.Detector);
        var retransmit = _options.RetransmitInterval ?? (timing.Keepalive < TimeSpan.FromMilliseconds(200) ? timing.Keepalive : TimeSpan.FromMilliseconds(200));
        _channel = new ClusterChannel(LocalNode, _generation, SendAsync, retransmit, _time, _loggers.CreateLogger<ClusterChannel>());
        _ping = new PingMonitor(_spec.Ping, _options.PingProbe ?? new IcmpProbe(), timing, _events, _time, _loggers.CreateLogger<PingMonitor>());
        LogStarted(_logger, LocalNode, _generation, _links.Count);
        _detector.Start();
        _channel.Start();
        _ping.Start();
        for (var i = 0; i < _links.Count; i++)
        {
            _loops.Add(ReceiveLoopAsync(i, _stop.Token));
        }
        _loops.Add(HeartbeatLoopAsync(_stop.Token));
        return Task.CompletedTask;
    }

    /// <summary>Announces that this node leaves (peers report it as <c>node.left</c> at once), then stops heartbeats and closes the links and the channel.</summary>
    /// <param name="cancellationToken">Unused: stopping is quick.</param>
    /// <returns>A task that completes when everything is closed.</returns>
    public Task StopAsync(CancellationToken cancellationToken) => StopCoreAsync(announceLeave: true);

    /// <summary>Stops as a crashed process would: no goodbye, so peers declare this node dead after deadtime.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    internal Task AbandonAsync() => StopCoreAsync(announceLeave: false);

    private async Task StopCoreAsync(bool announceLeave)
    {
        if (_stop is null)
        {
            return;
        }
        if (announceLeave)
        {
            await AnnounceLeaveAsync().ConfigureAwait(false);
        }
        // Loops first (every receive honours cancellation), then the links, so nothing sends on a closed socket.
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _loops.Clear();
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
            _channel = null;
        }
        foreach (var l in _links)
        {
            await l.DisposeAsync().ConfigureAwait(false);
        }
        _links.Clear();
        _failedLinks.Clear();
        if (_ping is not null)
        {
            await _ping.DisposeAsync().ConfigureAwait(false);
        }
        _detector?.Dispose();
        _replayFloor.Dispose();
        _stop.Dispose();
        _stop = null;
        LogStopped(_logger, LocalNode);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <inheritdoc/>
    object IStatusSection.GetSnapshot() => GetSnapshot();

    /// <summary>What this service knows now: this node, every peer and link, and the counters.</summary>
    /// <returns>The snapshot.</returns>
    public MembershipSnapshot GetSnapshot()
    {
        var detector = _detector;
        PeerSnapshot[] nodes = detector is null ? [] : [.. detector.Snapshot().Select(p => new PeerSnapshot(
            p.Node, p.Status.ToString().ToLowerInvariant(), p.Generation, p.Late, Milliseconds(p.SinceLastHeard),
            [.. p.Links.Select(l => new PeerLinkSnapshot(l.Link, l.Status.ToString().ToLowerInvariant(), Milliseconds(l.SinceLastHeard), l.Heartbeats))]))];
        Dictionary<string, int> peerScores;
        lock (_peerScores)
        {
            peerScores = new Dictionary<string, int>(_peerScores, StringComparer.OrdinalIgnoreCase);
        }
        var channel = _channel?.Counters();
        var timing = _spec.Timing;
        return new MembershipSnapshot(
            LocalNode,
            (detector?.LocalStatus ?? NodeStatus.Init).ToString().ToLowerInvariant(),
            _generation,
            new MembershipTimings((long)timing.Keepalive.TotalMilliseconds, (long)timing.Warntime.TotalMilliseconds,
                (long)timing.Deadtime.TotalMilliseconds, (long)timing.Initdead.TotalMilliseconds),
            detector?.Stalls ?? 0,
            nodes,
            [.. _links.Select(l => new LinkSnapshot(l.Name, true, l.SendErrors, null)), .. _failedLinks.Select(f => new LinkSnapshot(f.Link, false, null, f.Reason))],
            Interlocked.Read(ref _accepted),
            new Dictionary<string, long>(_rejects.Snapshot(), StringComparer.Ordinal),
            Interlocked.Read(ref _receiveErrors),
            new ConnectivitySnapshot(
                _ping?.Reachable ?? 0,
                _ping?.Total ?? _spec.Ping.Count,
                [.. (_ping?.Snapshot() ?? []).Select(p => new PingSnapshot(p.Name, p.Up ? "up" : "dead"))],
                peerScores,
                IpFail switch { IpFailDecision.GiveUp => "give-up", IpFailDecision.Keep => "keep", _ => "unknown" }),
            channel is { } c ? new ChannelCounters(c.Unacknowledged, c.Retransmits) : null);
    }

    private static long? Milliseconds(TimeSpan? elapsed) => elapsed is { } e ? (long)e.TotalMilliseconds : null;

    /// <summary>
    /// Tells the peers this node is leaving: a last heartbeat reporting it dead, twice on every
    /// link against a lost packet, so that they see a clean departure at once instead of a
    /// failure after deadtime.
    /// </summary>
    private async Task AnnounceLeaveAsync()
    {
        var payload = new byte[HeartbeatPayload.Size];
        new HeartbeatPayload(NodeStatus.Dead, (uint)_spec.Timing.Deadtime.TotalMilliseconds, (uint)_spec.Timing.Keepalive.TotalMilliseconds, 0, 0)
            .Write(payload);
        for (var i = 0; i < 2; i++)
        {
            try
            {
                await SendAsync(PacketType.Heartbeat, payload, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                LogHeartbeatSendFailed(_logger, ex);
            }
        }
    }

    /// <summary>Signs one packet and sends it on every link.</summary>
    private async ValueTask SendAsync(PacketType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var sequence = (ulong)Interlocked.Increment(ref _sequence);
        var size = _codec.PacketSize(payload.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var n = _codec.Encode(type, _generation, sequence, payload.Span, buffer);
            foreach (var link in _links)
            {
                await link.SendAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var payload = new byte[HeartbeatPayload.Size];
        using var timer = new PeriodicTimer(_spec.Timing.Keepalive, _time);
        try
        {
            do
            {
                new HeartbeatPayload(_detector!.LocalStatus, (uint)_spec.Timing.Deadtime.TotalMilliseconds, (uint)_spec.Timing.Keepalive.TotalMilliseconds,
                    (byte)Math.Min(255, _ping!.Reachable), (byte)Math.Min(255, _ping.Total)).Write(payload);
                EvaluateIpFail();
                try
                {
                    await SendAsync(PacketType.Heartbeat, payload, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogHeartbeatSendFailed(_logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReceiveLoopAsync(int linkIndex, CancellationToken cancellationToken)
    {
        // Replay state is per link and sender: every link carries every sequence number once.
        var windows = new Dictionary<string, ReplayWindow>(StringComparer.Ordinal);
        var link = _links[linkIndex];
        var buffer = new byte[PacketCodec.MaxPacketSize + 1];
        await Task.Yield();
        while (!cancellationToken.IsCancellationRequested)
        {
            LinkReceiveResult received;
            try
            {
                received = await link.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is ObjectDisposedException or System.Threading.Channels.ChannelClosedException && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _receiveErrors);
                LogReceiveFailed(_logger, link.Name, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            try
            {
                Handle(linkIndex, link.Name, windows, buffer.AsSpan(0, received.Length), received);
            }
#pragma warning disable CA1031 // nothing a packet contains may stop the receive loop
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _receiveErrors);
                LogHandleFailed(_logger, link.Name, ex);
            }
        }
    }

    private void Handle(int linkIndex, string linkName, Dictionary<string, ReplayWindow> windows, ReadOnlySpan<byte> packet, LinkReceiveResult received)
    {
        var reason = _codec.TryDecode(packet, out var d);
        if (reason == RejectReason.None)
        {
            if (!windows.TryGetValue(d.Sender, out var window))
            {
                windows[d.Sender] = window = _replayFloor.CreateWindow(d.Sender);
            }
            reason = window.Check(d.Header.Generation, d.Header.Sequence);
        }
        if (reason != RejectReason.None)
        {
            _rejects.Record(reason, linkName, received.Remote?.ToString() ?? (d.Sender is { Length: > 0 } s ? s : "-"));
            return;
        }
        Interlocked.Increment(ref _accepted);
        _replayFloor.Record(d.Sender, d.Header.Generation, d.Header.Sequence);
        var payload = d.Payload(packet);
        NodeStatus? reported = null;
        if (d.Header.Type == PacketType.Heartbeat && HeartbeatPayload.TryRead(payload, out var hb))
        {
            reported = hb.Status;
            if (hb.PingTotal > 0)
            {
                lock (_peerScores)
                {
                    _peerScores[d.Sender] = hb.PingReachable;
                }
            }
        }
        // Any authenticated, fresh packet proves the sender and the link alive.
        _detector!.OnHeartbeat(d.Sender, linkIndex, d.Header.Generation, reported);
        _channel!.OnPeerGeneration(d.Sender, d.Header.Generation);
        if (d.Header.Type is PacketType.Data or PacketType.Ack)
        {
            _channel.OnPacket(d.Sender, d.Header.Generation, d.Header.Type, payload);
        }
    }

    /// <summary>
    /// Heartbeat's ipfail: compare this node's connectivity score with the best live peer's; a
    /// decision must hold for two keepalives (Heartbeat's give-up delay) before it is announced,
    /// so that a single lost probe does not move resources.
    /// </summary>
    private void EvaluateIpFail()
    {
        if (_ping is null || _detector is null)
        {
            return;
        }
        var local = _ping.Reachable;
        int? best = null;
        lock (_peerScores)
        {
            foreach (var (peer, score) in _peerScores)
            {
                if (_detector.StatusOf(peer) is NodeStatus.Up or NodeStatus.Active)
                {
                    best = Math.Max(best ?? 0, score);
                }
            }
            var decision = PingMonitor.Decide(local, best, _ping.Total);
            if (decision != _ipfailCandidate)
            {
                _ipfailCandidate = decision;
                _ipfailHeld = 0;
            }
            if (decision == _ipfail || ++_ipfailHeld < 2)
            {
                return;
            }
            _ipfail = decision;
        }
        var data = new Dictionary<string, string>
        {
            ["local"] = local.ToString(CultureInfo.InvariantCulture),
            ["peer"] = best?.ToString(CultureInfo.InvariantCulture) ?? "",
            ["total"] = _ping.Total.ToString(CultureInfo.InvariantCulture),
        };
        switch (_ipfail)
        {
            case IpFailDecision.GiveUp:
                _events.Publish("ipfail.giveup", LocalNode,
                    $"this node reaches {local} of {_ping.Total} ping nodes, a peer reaches {best}: it should give its resources up", data);
                break;
            case IpFailDecision.Keep:
                _events.Publish("ipfail.keep", LocalNode,
                    $"this node reaches {local} of {_ping.Total} ping nodes, at least as many as any live peer ({best})", data);
                break;
        }
    }

    [LoggerMessage(EventId = 1300, EventName = "Tandem.Membership.Started", Level = LogLevel.Information,
        Message = "Membership started on {Node}: generation {Generation}, {Links} links")]
    private static partial void LogStarted(ILogger logger, string node, ulong generation, int links);

    [LoggerMessage(EventId = 1305, EventName = "Tandem.Membership.LinkOpenFailed", Level = LogLevel.Error,
        Message = "Link {Link} could not be opened and is not used: {Reason}")]
    private static partial void LogLinkOpenFailed(ILogger logger, string link, string reason);

    [LoggerMessage(EventId = 1301, EventName = "Tandem.Membership.Stopped", Level = LogLevel.Information, Message = "Membership stopped on {Node}")]
    private static partial void LogStopped(ILogger logger, string node);

    [LoggerMessage(EventId = 1302, EventName = "Tandem.Membership.ReceiveFailed", Level = LogLevel.Warning, Message = "Link {Link}: receive failed; retrying")]
    private static partial void LogReceiveFailed(ILogger logger, string link, Exception exception);

    [LoggerMessage(EventId = 1303, EventName = "Tandem.Membership.HandleFailed", Level = LogLevel.Error, Message = "Link {Link}: a packet could not be handled")]
    private static partial void LogHandleFailed(ILogger logger, string link, Exception exception);

    [LoggerMessage(EventId = 1304, EventName = "Tandem.Membership.HeartbeatSendFailed", Level = LogLevel.Warning, Message = "Sending a heartbeat failed")]
    private static partial void LogHeartbeatSendFailed(ILogger logger, Exception exception);
}
