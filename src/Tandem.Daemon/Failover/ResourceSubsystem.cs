using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Core.Status;
using Tandem.Daemon.Subsystems;
using Tandem.Membership.Detection;
using Tandem.Membership.Messaging;
using Tandem.Resources.Agents;
using Tandem.Resources.Groups;
using Tandem.Resources.Placement;

namespace Tandem.Daemon.Failover;

/// <summary>
/// The resource manager of a node (stage Resources): one <see cref="GroupRunner"/> per group of the
/// configuration, and the executor of the <see cref="PlacementEngine"/>, which decides where each
/// group runs (initial placement, auto_failback, standby/takeover/failback, takeover after the
/// peer's death, handover after failures, the dual-active rule, blocked groups). It is the
/// <c>groups</c> section of <c>tandem status</c>.
/// </summary>
/// <remarks>
/// One loop feeds the engine one input at a time (a placement message, a membership view, the end
/// of a group operation, a fencing answer, a timer, an operator's command) and carries out the
/// commands it returns: group operations, sends, fencing and timers run in the background and
/// come back as inputs, so the loop never waits for an agent. Membership is read from the
/// detector's typed views, never from the event log.
/// </remarks>
public sealed partial class ResourceSubsystem : IHostedService, IStatusSection, IAsyncDisposable
{
    private static readonly TimeSpan s_leavingAckTimeout = TimeSpan.FromSeconds(2);

    private readonly NodeContext _node;
    private readonly IEventSink _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggers;
    private readonly MembershipSubsystem? _membership;
    private readonly FencingSubsystem _fencing;
    private readonly IVolumeControl? _volumes;
    private readonly Lock _lock = new();
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, GroupRunner> _runners = new(StringComparer.Ordinal);
    private readonly Dictionary<int, CancellationTokenSource> _takeovers = [];
    private readonly List<Task> _operations = [];
    private readonly List<Task> _background = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private PlacementEngine? _engine;
    private MembershipSubscription? _subscription;
    private ClusterChannel? _channel;
    private string? _peer;
    private string _mode = "starting";
    private HashSet<string> _notUpToDate = new(StringComparer.Ordinal);
    private PlacementOutcome? _answer;
    private bool _started;

    /// <summary>Creates the subsystem; nothing runs until <see cref="StartAsync"/>.</summary>
    /// <param name="node">This node and the cluster.</param>
    /// <param name="events">Where decisions go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">The loggers.</param>
    /// <param name="fencing">The fencing coordinator's host.</param>
    /// <param name="membership">Membership (the peer's liveness and the cluster channel); null when not hosted.</param>
    /// <param name="volumes">The replicated volume layer for <c>drbddisk</c>/<c>volume</c>; null when the daemon has none.</param>
    public ResourceSubsystem(NodeContext node, IEventSink events, TimeProvider time, ILoggerFactory loggers,
        FencingSubsystem fencing, MembershipSubsystem? membership = null, IVolumeControl? volumes = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(loggers);
        _node = node;
        _events = events;
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
            var name = group.Name;
            runner.RecoveryNeeded = result =>
            {
                Post(new GroupRecoveryNeeded(name, result));
                return Task.CompletedTask;
            };
            _runners[name] = runner;
        }
        if (_volumes is null && spec.Groups.SelectMany(g => g.Resources).Any(VolumeAgent.IsVolumeResource))
        {
            _events.Publish("resources.no-volumes", Me,
                "this daemon has no replicated volume layer: drbddisk/volume resources fail to start here (not installed)");
        }
        var peers = spec.Nodes.Where(n => !string.Equals(n.Name, Me, StringComparison.OrdinalIgnoreCase)).ToList();
        _peer = peers.Count == 1 ? peers[0].Name : null;
        _engine = new PlacementEngine(new PlacementSettings(Me, _peer, spec.Groups, spec.AutoFailback, !_fencing.Coordinator.Disabled), _time);
        _started = true;
        _loops.Add(RunLoopAsync(_stop.Token));
        if (spec.Groups.Count == 0)
        {
            _mode = "no groups";
            return Task.CompletedTask;
        }
        if (peers.Count == 0)
        {
            _mode = "standalone";
            Post(new PlacementStarted());
            return Task.CompletedTask;
        }
        if (peers.Count > 1)
        {
            _mode = "disabled: more than two nodes";
            _events.Publish("resources.disabled", Me, $"groups are managed in two-node clusters only; this one has {spec.Nodes.Count} nodes: no group is started");
            return Task.CompletedTask;
        }
        if (_membership?.Service is not { } service)
        {
            _mode = "disabled: no membership";
            _events.Publish("resources.disabled", Me,
                $"membership does not run here (no links or keys): this node cannot know whether {_peer} runs a group, so it starts none");
            return Task.CompletedTask;
        }
        _mode = "two-node";
        _channel = service.Channel;
        _events.Publish("resources.started", Me,
            $"{spec.Groups.Count} group(s); waiting for the state of {_peer} (auto_failback {Mode(spec.AutoFailback)})");
        // The engine announces its state first; the subscription's first view is the current one
        // (a peer already dead when resources start is taken over from it), then every change.
        Post(new PlacementStarted());
        _subscription = service.Detector.Subscribe();
        _loops.Add(PumpViewsAsync(_subscription, _stop.Token));
        _loops.Add(PumpMessagesAsync(_channel, _stop.Token));
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
        if (!_started || _engine is not { } engine)
        {
            return;
        }
        lock (_lock)
        {
            Execute(engine.Handle(new ShutdownStarted()));
        }
        // Let every running operation end and its result reach the engine (through the loop, which
        // still runs): a start's result handled after the shutdown's stop would undo it.
        while (true)
        {
            Task[] running;
            lock (_lock)
            {
                running = [.. _operations];
            }
            await Task.WhenAll(running).ConfigureAwait(false);
            // An operation leaves the list only after it posted its result: once the loop took every
            // input posted so far, an empty list means every result was handled.
            var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Post(new OperatorTurn(_ => handled.TrySetResult()));
            await handled.Task.ConfigureAwait(false);
            lock (_lock)
            {
                if (_operations.Count == 0)
                {
                    break;
                }
            }
        }
        IReadOnlyList<string> order;
        lock (_lock)
        {
            order = engine.ShutdownStopOrder();
        }
        foreach (var name in order)
        {
            var result = await StopRunnerAsync(name, "this node is shutting down").ConfigureAwait(false);
            lock (_lock)
            {
                Execute(engine.Handle(new GroupOperationEnded(name, GroupOperation.Stop, result)));
            }
        }
        PlacementMessage leaving;
        bool peerUp;
        lock (_lock)
        {
            leaving = engine.LeavingMessage();
            peerUp = engine.PeerUp;
        }
        // A peer that is gone (or shutting down too) cannot take anything: do not wait for its acknowledgement.
        if (_channel is not null && _peer is not null && peerUp)
        {
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
        foreach (var runner in _runners.Values)
        {
            await runner.DisposeAsync().ConfigureAwait(false);
        }
        lock (_lock)
        {
            foreach (var cts in _takeovers.Values)
            {
                cts.Dispose();
            }
            _takeovers.Clear();
        }
        _stop.Dispose();
    }

    private void Post(PlacementInput input) => _inbox.Writer.TryWrite(input);

    private void Post(OperatorTurn turn) => _inbox.Writer.TryWrite(turn);

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
                        if (input is OperatorTurn turn)
                        {
                            turn.Run(_engine!);
                        }
                        else
                        {
                            Decide((PlacementInput)input);
                        }
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

    /// <summary>Feeds one input to the engine (after what it needs to know of the volumes) and carries out its commands; with the lock held.</summary>
    private void Decide(PlacementInput input)
    {
        var engine = _engine!;
        ObserveVolumes(engine);
        Execute(engine.Handle(input));
    }

    /// <summary>A deferred failback waits for the peer's copies of volumes: tell the engine when the set not UpToDate there changes.</summary>
    private void ObserveVolumes(PlacementEngine engine)
    {
        if (_volumes is null)
        {
            return;
        }
        var notReady = new HashSet<string>(StringComparer.Ordinal);
        foreach (var volume in engine.Groups.SelectMany(g => g.Volumes))
        {
            if (!_volumes.IsUpToDateOnPeer(volume))
            {
                notReady.Add(volume);
            }
        }
        if (!notReady.SetEquals(_notUpToDate))
        {
            _notUpToDate = notReady;
            Execute(engine.Handle(new PeerVolumesObserved(notReady)));
        }
    }

    private async Task PumpMessagesAsync(ClusterChannel channel, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var message in channel.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Post(new PeerMessageReceived(message.From, message.Generation, message.Payload));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PumpViewsAsync(MembershipSubscription subscription, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var view in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Post(new MembershipChanged(view));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>An operator's request, run on the loop in turn with the engine's inputs.</summary>
    private sealed record OperatorTurn(Action<PlacementEngine> Run);

    private static string Mode(FailbackMode mode) => mode switch
    {
        FailbackMode.On => "on",
        FailbackMode.Off => "off",
        _ => "legacy",
    };

    [LoggerMessage(EventId = 710, EventName = "Tandem.Daemon.ResourceInputFailed", Level = LogLevel.Error,
        Message = "The resource manager failed to handle {Input}; it goes on with the next")]
    private static partial void LogInputFailed(ILogger logger, Exception exception, string input);

    [LoggerMessage(EventId = 712, EventName = "Tandem.Daemon.LeavingUnacknowledged", Level = LogLevel.Warning,
        Message = "{Peer} did not acknowledge that this node released its groups; it will learn it when this node leaves")]
    private static partial void LogLeavingUnacknowledged(ILogger logger, string peer);

    [LoggerMessage(EventId = 713, EventName = "Tandem.Daemon.BadPlacementMessage", Level = LogLevel.Warning,
        Message = "Ignored a placement message from {Peer}: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 715, EventName = "Tandem.Daemon.GroupRunnerFailed", Level = LogLevel.Error,
        Message = "The {Operation} of group {Group} threw instead of reporting its outcome")]
    private static partial void LogRunnerFailed(ILogger logger, Exception exception, string group, string operation);

    [LoggerMessage(EventId = 714, EventName = "Tandem.Daemon.Takeover", Level = LogLevel.Warning,
        Message = "Taking over {Groups} from {Peer}: {How}")]
    private static partial void LogTakeover(ILogger logger, string groups, string peer, string how);
}
