using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Core.Status;
using Tandem.Daemon.Events;
using Tandem.Daemon.Subsystems;
using Tandem.Membership.Messaging;
using Tandem.Resources.Agents;
using Tandem.Resources.Groups;

namespace Tandem.Daemon.Failover;

/// <summary>
/// The resource manager of a node (stage Resources): one <see cref="GroupRunner"/> per group of the
/// configuration, and the placement protocol with the peer over the cluster channel — initial
/// placement on the preferred node, auto_failback, standby/takeover/failback, takeover after the
/// peer's death (fenced first), handover after failures, and the rule for a group found running on
/// both nodes after a partition. It is the <c>groups</c> section of <c>tandem status</c>.
/// </summary>
/// <remarks>
/// Every decision is taken by one loop that reads one input at a time (a message from the peer, a
/// membership event, the end of a group operation, an operator's command), so decisions never race
/// each other. Group operations run in the background and report back as inputs; the loop never
/// waits for an agent. The invariant that keeps a group from running twice: only the group's holder
/// starts it, and the holder changes only (1) when the peer releases it after stopping it, (2) when
/// the peer is gone and the takeover rule allows it (fenced, left cleanly, or fencing disabled), or
/// (3) at initial placement, when neither node runs it: then the preferred node holds it, a rule
/// both nodes evaluate alike.
/// </remarks>
public sealed partial class ResourceSubsystem : IHostedService, IStatusSection, IAsyncDisposable
{
    private static readonly TimeSpan s_takeoverRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_leftGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_leavingAckTimeout = TimeSpan.FromSeconds(2);

    private readonly NodeContext _node;
    private readonly IEventSink _events;
    private readonly EventLog _eventLog;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggers;
    private readonly MembershipSubsystem? _membership;
    private readonly FencingSubsystem _fencing;
    private readonly IVolumeControl? _volumes;
    private readonly Lock _lock = new();
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<GroupSlot> _slots = [];
    private readonly HashSet<GroupSlot> _deferredFailback = [];
    private bool _failbackRecheckScheduled;
    private readonly List<Task> _operations = [];
    private readonly List<Task> _background = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private EventSubscription? _subscription;
    private ClusterChannel? _channel;
    private string? _peer;
    private string _mode = "starting";
    private ulong _peerGeneration;
    private bool _peerKnown;
    private bool _peerLost;
    private bool _peerLeftCleanly;
    private bool _peerStable;
    private bool _stable;
    private PendingTakeover? _takeover;
    private int _epoch;
    private bool _shuttingDown;
    private bool _started;
    private byte[]? _lastState;
    private uint _nextRequestId;

    /// <summary>Creates the subsystem; nothing runs until <see cref="StartAsync"/>.</summary>
    /// <param name="node">This node and the cluster.</param>
    /// <param name="events">Where decisions go.</param>
    /// <param name="eventLog">The node's event stream (membership's node events are read from it).</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">The loggers.</param>
    /// <param name="fencing">The fencing coordinator's host.</param>
    /// <param name="membership">Membership (the peer's liveness and the cluster channel); null when not hosted.</param>
    /// <param name="volumes">The replicated volume layer for <c>drbddisk</c>/<c>volume</c>; null when the daemon has none.</param>
    public ResourceSubsystem(NodeContext node, IEventSink events, EventLog eventLog, TimeProvider time, ILoggerFactory loggers,
        FencingSubsystem fencing, MembershipSubsystem? membership = null, IVolumeControl? volumes = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(loggers);
        _node = node;
        _events = events;
        _eventLog = eventLog;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<ResourceSubsystem>();
        _fencing = fencing;
        _membership = membership;
        _volumes = volumes;
    }

    /// <inheritdoc/>
    public string Name => "groups";

    private string Me => _node.NodeName;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var spec = _node.Spec;
        var factory = new AgentFactory(_volumes, _time);
        foreach (var group in spec.Groups)
        {
            var context = new AgentContext(Me, group.Name) { Notification = spec.Notification };
            var runner = GroupRunner.Create(group, factory, context, _events, policy: null, _time, _loggers.CreateLogger<GroupRunner>());
            var slot = new GroupSlot(_slots.Count, group, runner);
            runner.RecoveryNeeded = result =>
            {
                Post(new RecoveryInput(slot, result));
                return Task.CompletedTask;
            };
            _slots.Add(slot);
        }
        if (_volumes is null && spec.Groups.SelectMany(g => g.Resources).Any(VolumeAgent.IsVolumeResource))
        {
            _events.Publish("resources.no-volumes", Me,
                "this daemon has no replicated volume layer: drbddisk/volume resources fail to start here (not installed)");
        }
        _started = true;
        _loops.Add(RunLoopAsync(_stop.Token));
        var peers = spec.Nodes.Where(n => !string.Equals(n.Name, Me, StringComparison.OrdinalIgnoreCase)).ToList();
        if (_slots.Count == 0)
        {
            _mode = "no groups";
            return Task.CompletedTask;
        }
        if (peers.Count == 0)
        {
            _mode = "standalone";
            Post(new StandaloneInput());
            return Task.CompletedTask;
        }
        if (peers.Count > 1)
        {
            _mode = "disabled: more than two nodes";
            _events.Publish("resources.disabled", Me, $"groups are managed in two-node clusters only; this one has {spec.Nodes.Count} nodes: no group is started");
            return Task.CompletedTask;
        }
        _peer = peers[0].Name;
        if (_membership?.Service is not { } service)
        {
            _mode = "disabled: no membership";
            _events.Publish("resources.disabled", Me,
                $"membership does not run here (no links or keys): this node cannot know whether {_peer} runs a group, so it starts none");
            return Task.CompletedTask;
        }
        _mode = "two-node";
        _channel = service.Channel;
        // Subscribe before looking at the detector, so that no change falls between the two.
        _subscription = _eventLog.Subscribe(_eventLog.LastSequence);
        _loops.Add(PumpEventsAsync(_subscription, _stop.Token));
        _loops.Add(PumpMessagesAsync(_channel, _stop.Token));
        _events.Publish("resources.started", Me,
            $"{_slots.Count} group(s); waiting for the state of {_peer} (auto_failback {Mode(spec.AutoFailback)})");
        lock (_lock)
        {
            SendState(force: true);
        }
        if (service.Detector.StatusOf(_peer) is Membership.NodeStatus.Dead)
        {
            Post(new PeerEventInput("node.dead", $"{_peer} was already dead when resources started"));
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops every group this node runs (the last group first), tells the peer which ones it
    /// released so that it takes them over at once, then ends the loops.
    /// </summary>
    /// <param name="cancellationToken">Unused: releasing groups cleanly matters more than a quick stop.</param>
    /// <returns>A task that completes when every group is stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_started)
        {
            return;
        }
        Task[] running;
        lock (_lock)
        {
            _shuttingDown = true;
            _takeover?.Cts.Cancel();
            running = [.. _operations];
        }
        await Task.WhenAll(running).ConfigureAwait(false);
        var entries = new List<PlacementEntry>();
        for (var i = _slots.Count - 1; i >= 0; i--)
        {
            var slot = _slots[i];
            var code = ReleaseCode.Leaving;
            if (slot.ActiveHere)
            {
                var result = await slot.Runner.StopAsync("this node is shutting down", CancellationToken.None).ConfigureAwait(false);
                code = result.Outcome == GroupOutcome.Stopped ? ReleaseCode.Leaving : ReleaseCode.NotReleased;
            }
            entries.Insert(0, new PlacementEntry(slot.Name, (byte)code));
        }
        bool peerUp;
        lock (_lock)
        {
            peerUp = PeerUp;
        }
        // A peer that is gone (or shutting down too) cannot take anything: do not wait for its acknowledgement.
        if (_channel is not null && _peer is not null && peerUp)
        {
            var leaving = new PlacementMessage(PlacementMessageType.Leaving, 0, 0, entries, $"{Me} is shutting down");
            try
            {
                // The peer starts the released groups on this message, before it even sees the node leave.
                await _channel.SendAsync(_peer, leaving.Format(), CancellationToken.None).WaitAsync(s_leavingAckTimeout, _time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or PeerRestartedException or OperationCanceledException)
            {
                LogLeavingUnacknowledged(_logger, _peer);
            }
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        _subscription?.Dispose();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _loops.Clear();
        Task[] background;
        lock (_lock)
        {
            background = [.. _background];
        }
        try
        {
            await Task.WhenAll(background).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        _subscription?.Dispose();
        foreach (var slot in _slots)
        {
            await slot.Runner.DisposeAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    private void Post(object input) => _inbox.Writer.TryWrite(input);

    private async Task RunLoopAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var input in _inbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    lock (_lock)
                    {
                        Handle(input);
                        SendState(force: false);
                    }
                }
#pragma warning disable CA1031 // one bad input must not end the loop that keeps the groups placed
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogInputFailed(_logger, e, input.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PumpMessagesAsync(ClusterChannel channel, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var message in channel.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Post(new MessageInput(message));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PumpEventsAsync(EventSubscription subscription, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var ev in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (ev.Kind is "node.dead" or "node.left" or "node.up" or "node.restarted"
                    && string.Equals(ev.Subject, _peer, StringComparison.OrdinalIgnoreCase))
                {
                    var fromDead = ev.Data?.GetValueOrDefault("from") == "dead";
                    Post(new PeerEventInput(ev.Kind, ev.Reason) { FromDead = fromDead });
                }
                else if (ev.Kind.StartsWith("volume.", StringComparison.Ordinal))
                {
                    // A deferred failback waits for the peer's copy of a volume to be UpToDate.
                    Post(new VolumeChangedInput());
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (EventSubscriberTooSlowException e)
        {
            LogEventsLost(_logger, e);
        }
    }

    /// <summary>
    /// Runs a task the subsystem owns until it ends: a group operation (shutdown waits for it before
    /// it stops the groups), or background work (a send, a timer, a fencing) that ends with the
    /// subsystem's cancellation.
    /// </summary>
    private void Track(Func<Task> work, bool operation = false)
    {
        var list = operation ? _operations : _background;
        var task = Task.Run(work);
        list.Add(task);
        _ = task.ContinueWith(t =>
        {
            lock (_lock)
            {
                list.Remove(t);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Send(PlacementMessage message)
    {
        if (_channel is not { } channel || _peer is not { } peer)
        {
            return;
        }
        var bytes = message.Format();
        var token = _stop.Token;
        Track(async () =>
        {
            try
            {
                await channel.SendAsync(peer, bytes, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is PeerRestartedException or OperationCanceledException or ObjectDisposedException)
            {
                // The peer restarted or we stop: its new run gets a fresh state message.
            }
        });
    }

    private static string Mode(FailbackMode mode) => mode switch
    {
        FailbackMode.On => "on",
        FailbackMode.Off => "off",
        _ => "legacy",
    };

    private sealed record MessageInput(ClusterMessage Message);

    private sealed record PeerEventInput(string Kind, string Reason)
    {
        public bool FromDead { get; init; }
    }

    private sealed record OperationDone(GroupSlot Slot, bool Start, GroupResult Result);

    private sealed record RecoveryInput(GroupSlot Slot, GroupResult Result);

    private sealed record TakeoverDecided(int Epoch, Fencing.TakeoverDecision Decision);

    private sealed record RetryTakeover(int Epoch);

    private sealed record LeftCheck(ulong Generation);

    private sealed record StandaloneInput;

    private sealed record VolumeChangedInput;

    private sealed record CommandInput(string Command, GroupSet Set, TaskCompletionSource<PlacementOutcome> Done);

    private sealed record ConfirmInput(string Node, TaskCompletionSource<PlacementOutcome> Done);

    private sealed class PendingTakeover(int epoch, ulong generation, string reason, bool cancelOnReturn, DateTimeOffset since)
    {
        public int Epoch { get; } = epoch;
        public ulong Generation { get; } = generation;
        public string Reason { get; } = reason;
        public bool CancelOnReturn { get; } = cancelOnReturn;
        public DateTimeOffset Since { get; } = since;
        public HashSet<string> Groups { get; } = new(StringComparer.Ordinal);
        public CancellationTokenSource Cts { get; } = new();
        public int Attempts { get; set; }
        public string? LastFailure { get; set; }
    }

    [LoggerMessage(EventId = 710, EventName = "Tandem.Daemon.ResourceInputFailed", Level = LogLevel.Error,
        Message = "The resource manager failed to handle {Input}; it goes on with the next")]
    private static partial void LogInputFailed(ILogger logger, Exception exception, string input);

    [LoggerMessage(EventId = 711, EventName = "Tandem.Daemon.ResourceEventsLost", Level = LogLevel.Critical,
        Message = "The resource manager fell behind the event stream and no longer sees membership changes")]
    private static partial void LogEventsLost(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 712, EventName = "Tandem.Daemon.LeavingUnacknowledged", Level = LogLevel.Warning,
        Message = "{Peer} did not acknowledge that this node released its groups; it will learn it when this node leaves")]
    private static partial void LogLeavingUnacknowledged(ILogger logger, string peer);

    [LoggerMessage(EventId = 713, EventName = "Tandem.Daemon.BadPlacementMessage", Level = LogLevel.Warning,
        Message = "Ignored a placement message from {Peer}: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 714, EventName = "Tandem.Daemon.Takeover", Level = LogLevel.Warning,
        Message = "Taking over {Groups} from {Peer}: {How}")]
    private static partial void LogTakeover(ILogger logger, string groups, string peer, string how);
}
