using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Resources.Agents;

namespace Tandem.Resources.Groups;

/// <summary>
/// Runs one resource group on this node: starts it left to right (skipping what already runs, as
/// Heartbeat did), stops it right to left, rolls back a failed start, retries a failed stop and then
/// demands fencing, and monitors each resource at its interval, restarting in place up to a limit.
/// </summary>
/// <remarks>
/// One operation runs at a time. Monitoring runs from a successful start until the next stop.
/// Results of monitoring that need the caller (move the group, fence this node) are reported through
/// <see cref="RecoveryNeeded"/>, and as events.
/// </remarks>
public sealed partial class GroupRunner : IAsyncDisposable
{
    private readonly IReadOnlyList<IResourceAgent> _agents;
    private readonly AgentContext _context;
    private readonly IEventSink _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _stateLock = new();
    private readonly ResourceStatus[] _status;
    private readonly List<DateTimeOffset>[] _restarts;
    private GroupState _state = GroupState.Stopped;
    private CancellationTokenSource? _monitorCts;
    private Task? _monitorTask;

    /// <summary>Creates a runner.</summary>
    /// <param name="group">The group.</param>
    /// <param name="agents">One agent per resource, in start order.</param>
    /// <param name="context">Node and group facts shared with the agents.</param>
    /// <param name="events">Where state changes go.</param>
    /// <param name="policy">Failure policy; null for defaults.</param>
    /// <param name="time">The clock for monitor intervals and retries; null for the system clock.</param>
    /// <param name="logger">The logger; null for none.</param>
    public GroupRunner(GroupSpec group, IReadOnlyList<IResourceAgent> agents, AgentContext context, IEventSink events,
        GroupPolicy? policy = null, TimeProvider? time = null, ILogger<GroupRunner>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(agents);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(events);
        if (agents.Count != group.Resources.Count)
        {
            throw new ArgumentException("one agent per resource is needed", nameof(agents));
        }
        Group = group;
        _agents = agents;
        _context = context;
        _events = events;
        Policy = policy ?? new GroupPolicy();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _status = [.. agents.Select(a => new ResourceStatus(a.Spec.Id, a.Describe, ResourceState.Stopped, null, null, 0))];
        _restarts = [.. agents.Select(_ => new List<DateTimeOffset>())];
    }

    /// <summary>Creates a runner whose agents come from a factory.</summary>
    /// <param name="group">The group.</param>
    /// <param name="factory">Makes the agents.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="events">Where state changes go.</param>
    /// <param name="policy">Failure policy; null for defaults.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    /// <param name="logger">The logger; null for none.</param>
    /// <returns>The runner.</returns>
    public static GroupRunner Create(GroupSpec group, AgentFactory factory, AgentContext context, IEventSink events,
        GroupPolicy? policy = null, TimeProvider? time = null, ILogger<GroupRunner>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(factory);
        return new GroupRunner(group, [.. group.Resources.Select(r => factory.Create(r, context))], context, events, policy, time, logger);
    }

    /// <summary>The group.</summary>
    public GroupSpec Group { get; }

    /// <summary>The failure policy.</summary>
    public GroupPolicy Policy { get; }

    /// <summary>This node's name.</summary>
    public string NodeName => _context.NodeName;

    /// <summary>The group's state on this node.</summary>
    public GroupState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>A snapshot of every resource's state, in start order.</summary>
    public IReadOnlyList<ResourceStatus> Resources
    {
        get
        {
            lock (_stateLock)
            {
                return [.. _status];
            }
        }
    }

    /// <summary>
    /// Called when monitoring ends in something only the caller can do: <see cref="GroupOutcome.MoveRequired"/>
    /// (the group is stopped here; run it on the peer) or <see cref="GroupOutcome.StopFailedNeedsFencing"/>.
    /// </summary>
    public Func<GroupResult, Task>? RecoveryNeeded { get; set; }

    /// <summary>Raised (tests) each time the monitor loop has armed its timer.</summary>
    internal event Action? MonitorArmed;

    /// <summary>Starts the group left to right; on failure stops what was started and reports the group failed.</summary>
    /// <param name="reason">Why (reported in events and to MailTo).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see cref="GroupOutcome.Started"/>, <see cref="GroupOutcome.StartFailed"/> or <see cref="GroupOutcome.StopFailedNeedsFencing"/>.</returns>
    public async Task<GroupResult> StartAsync(string reason, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await StartCoreAsync(0, reason, cancellationToken).ConfigureAwait(false);
            if (result.Outcome == GroupOutcome.Started)
            {
                StartMonitoring();
            }
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the group right to left; a stop that still fails after its retries demands fencing.</summary>
    /// <param name="reason">Why (reported in events and to MailTo).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see cref="GroupOutcome.Stopped"/> or <see cref="GroupOutcome.StopFailedNeedsFencing"/>.</returns>
    public async Task<GroupResult> StopAsync(string reason, CancellationToken cancellationToken)
    {
        await StopMonitoringAsync().ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await StopCoreAsync(reason, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopMonitoringAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private async Task<GroupResult> StartCoreAsync(int from, string reason, CancellationToken cancellationToken)
    {
        _context.CurrentReason = reason;
        if (from == 0)
        {
            SetGroup(GroupState.Starting);
            Publish("group.starting", Group.Name, reason);
        }
        for (var i = from; i < _agents.Count; i++)
        {
            var agent = _agents[i];
            var probe = await SafeAsync(agent.MonitorAsync, "monitor", cancellationToken).ConfigureAwait(false);
            if (probe.IsRunning)
            {
                SetResource(i, ResourceState.Running);
                Publish("resource.running", agent.Spec.Id, $"already running, not started again ({agent.Describe})");
                continue;
            }
            SetResource(i, ResourceState.Starting);
            Publish("resource.starting", agent.Spec.Id, reason);
            var started = await SafeAsync(agent.StartAsync, "start", cancellationToken).ConfigureAwait(false);
            if (started.Succeeded)
            {
                SetResource(i, ResourceState.Running);
                Publish("resource.started", agent.Spec.Id, Describe(started, "started"));
                continue;
            }
            var why = $"start of {agent.Spec.Id} failed: {started}";
            Fail(i, ResourceState.Failed, why);
            Publish("resource.failed", agent.Spec.Id, why, "start", started);
            LogStartFailed(_logger, Group.Name, agent.Spec.Id, started.ToString());
            // Heartbeat gave up the whole group when one start failed; the stop includes the failed resource,
            // which may be half started.
            var rollback = await StopRangeAsync(i, 0, $"rolling back: {why}", cancellationToken).ConfigureAwait(false);
            if (rollback is not null)
            {
                return rollback;
            }
            SetGroup(GroupState.Failed);
            Publish("group.start-failed", Group.Name, $"{why}; the group was stopped again", "start", started);
            return new GroupResult(Group.Name, GroupOutcome.StartFailed, why, agent.Spec.Id);
        }
        SetGroup(GroupState.Running);
        if (from == 0)
        {
            Publish("group.started", Group.Name, reason);
        }
        return new GroupResult(Group.Name, GroupOutcome.Started, reason);
    }

    private async Task<GroupResult> StopCoreAsync(string reason, CancellationToken cancellationToken)
    {
        _context.CurrentReason = reason;
        SetGroup(GroupState.Stopping);
        Publish("group.stopping", Group.Name, reason);
        var failed = await StopRangeAsync(_agents.Count - 1, 0, reason, cancellationToken).ConfigureAwait(false);
        if (failed is not null)
        {
            return failed;
        }
        SetGroup(GroupState.Stopped);
        Publish("group.stopped", Group.Name, reason);
        return new GroupResult(Group.Name, GroupOutcome.Stopped, reason);
    }

    /// <summary>Stops resources <paramref name="hi"/> down to <paramref name="lo"/>; null when all stopped.</summary>
    private async Task<GroupResult?> StopRangeAsync(int hi, int lo, string reason, CancellationToken cancellationToken)
    {
        for (var i = hi; i >= lo; i--)
        {
            var agent = _agents[i];
            SetResource(i, ResourceState.Stopping);
            Publish("resource.stopping", agent.Spec.Id, reason);
            AgentResult stopped = await SafeAsync(agent.StopAsync, "stop", cancellationToken).ConfigureAwait(false);
            for (var attempt = 1; !stopped.Succeeded && attempt <= Policy.StopRetries; attempt++)
            {
                Publish("resource.stop-retry", agent.Spec.Id,
                    string.Create(CultureInfo.InvariantCulture, $"stop failed ({stopped}); retry {attempt} of {Policy.StopRetries}"), "stop", stopped);
                await Task.Delay(Policy.StopRetryDelay, _time, cancellationToken).ConfigureAwait(false);
                stopped = await SafeAsync(agent.StopAsync, "stop", cancellationToken).ConfigureAwait(false);
            }
            if (stopped.Succeeded)
            {
                SetResource(i, ResourceState.Stopped);
                Publish("resource.stopped", agent.Spec.Id, Describe(stopped, "stopped"));
                continue;
            }
            // A stop that timed out proves nothing; otherwise, as Heartbeat did, accept a resource its
            // own monitor reports cleanly stopped.
            if (!stopped.TimedOut)
            {
                var check = await SafeAsync(agent.MonitorAsync, "monitor", cancellationToken).ConfigureAwait(false);
                if (check.Code == AgentCode.NotRunning)
                {
                    SetResource(i, ResourceState.Stopped);
                    Publish("resource.stopped", agent.Spec.Id, $"stop failed ({stopped}) but monitor says stopped; the agent is not compliant");
                    continue;
                }
            }
            var why = $"stop of {agent.Spec.Id} failed after {Policy.StopRetries} retries: {stopped}; this node must be fenced before the group runs elsewhere";
            Fail(i, ResourceState.StopFailed, why);
            SetGroup(GroupState.StopFailed);
            Publish("resource.failed", agent.Spec.Id, why, "stop", stopped);
            Publish("group.stop-failed", Group.Name, why, "stop", stopped);
            LogStopFailed(_logger, Group.Name, agent.Spec.Id, stopped.ToString());
            return new GroupResult(Group.Name, GroupOutcome.StopFailedNeedsFencing, why, agent.Spec.Id);
        }
        return null;
    }

    private void StartMonitoring()
    {
        if (_monitorCts is not null || !_agents.Any(a => a.Spec.MonitorInterval > TimeSpan.Zero))
        {
            return;
        }
        _monitorCts = new CancellationTokenSource();
        _monitorTask = MonitorLoopAsync(_monitorCts.Token);
    }

    private async Task StopMonitoringAsync()
    {
        var cts = Interlocked.Exchange(ref _monitorCts, null);
        if (cts is null)
        {
            return;
        }
        await cts.CancelAsync().ConfigureAwait(false);
        if (_monitorTask is { } task)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                // Expected.
            }
        }
        cts.Dispose();
    }

    private async Task MonitorLoopAsync(CancellationToken token)
    {
        await Task.Yield();
        var now = _time.GetUtcNow();
        var due = _agents.Select(a => a.Spec.MonitorInterval > TimeSpan.Zero ? now + a.Spec.MonitorInterval : DateTimeOffset.MaxValue).ToArray();
        while (!token.IsCancellationRequested)
        {
            var next = due.Min();
            var wait = next - _time.GetUtcNow();
            var delay = Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, token);
            MonitorArmed?.Invoke();
            await delay.ConfigureAwait(false);
            await _gate.WaitAsync(token).ConfigureAwait(false);
            GroupResult? escalation = null;
            try
            {
                now = _time.GetUtcNow();
                for (var i = 0; i < _agents.Count && escalation is null; i++)
                {
                    if (due[i] > now)
                    {
                        continue;
                    }
                    due[i] = now + _agents[i].Spec.MonitorInterval;
                    var result = await SafeAsync(_agents[i].MonitorAsync, "monitor", token).ConfigureAwait(false);
                    if (result.IsRunning)
                    {
                        continue;
                    }
                    escalation = await RecoverAsync(i, result, token).ConfigureAwait(false);
                    var after = _time.GetUtcNow();
                    for (var j = 0; j < due.Length; j++)
                    {
                        due[j] = _agents[j].Spec.MonitorInterval > TimeSpan.Zero ? after + _agents[j].Spec.MonitorInterval : DateTimeOffset.MaxValue;
                    }
                }
            }
            finally
            {
                _gate.Release();
            }
            if (escalation is not null)
            {
                // The loop ends here: the group is stopped (move) or stuck (fence); StopAsync will not wait for us.
                Interlocked.Exchange(ref _monitorCts, null)?.Dispose();
                if (RecoveryNeeded is { } callback)
                {
                    await callback(escalation).ConfigureAwait(false);
                }
                return;
            }
        }
    }

    private async Task<GroupResult?> RecoverAsync(int index, AgentResult result, CancellationToken token)
    {
        var agent = _agents[index];
        var now = _time.GetUtcNow();
        var window = _restarts[index];
        window.RemoveAll(t => now - t > Policy.RestartWindow);
        var why = $"monitor of {agent.Spec.Id} failed: {result}";
        Fail(index, ResourceState.Failed, why);
        Publish("resource.failed", agent.Spec.Id, why, "monitor", result);
        LogMonitorFailed(_logger, Group.Name, agent.Spec.Id, result.ToString());
        if (window.Count >= Policy.MaxRestarts)
        {
            var move = string.Create(CultureInfo.InvariantCulture,
                $"{why}; {window.Count} restarts within {Policy.RestartWindow} reached the limit: moving the group");
            var stopped = await StopCoreAsync(move, token).ConfigureAwait(false);
            if (stopped.Outcome != GroupOutcome.Stopped)
            {
                return stopped;
            }
            Publish("group.move-required", Group.Name, move);
            return new GroupResult(Group.Name, GroupOutcome.MoveRequired, move, agent.Spec.Id);
        }
        window.Add(now);
        lock (_stateLock)
        {
            _status[index] = _status[index] with { Restarts = window.Count };
        }
        SetGroup(GroupState.Recovering);
        var reason = string.Create(CultureInfo.InvariantCulture, $"{why}; restart {window.Count} of {Policy.MaxRestarts} in place");
        Publish("resource.restarting", agent.Spec.Id, reason);
        // Everything to the right depends on the failed resource: stop it right to left, then start again.
        var stop = await StopRangeAsync(_agents.Count - 1, index, reason, token).ConfigureAwait(false);
        if (stop is not null)
        {
            return stop;
        }
        var start = await StartCoreAsync(index, reason, token).ConfigureAwait(false);
        if (start.Outcome == GroupOutcome.Started)
        {
            Publish("resource.restarted", agent.Spec.Id, reason);
            return null;
        }
        if (start.Outcome == GroupOutcome.StopFailedNeedsFencing)
        {
            return start;
        }
        // The restart failed and rolled back only its part: give up the group here.
        var rest = await StopCoreAsync($"restart of {agent.Spec.Id} failed: {start.Reason}", token).ConfigureAwait(false);
        if (rest.Outcome != GroupOutcome.Stopped)
        {
            return rest;
        }
        Publish("group.move-required", Group.Name, start.Reason);
        return new GroupResult(Group.Name, GroupOutcome.MoveRequired, start.Reason, agent.Spec.Id);
    }

    /// <summary>An agent that throws has failed the action; the group engine must keep going and decide.</summary>
    private static async Task<AgentResult> SafeAsync(Func<CancellationToken, Task<AgentResult>> action, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new AgentResult(AgentCode.GenericError, $"{name} threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    private void SetGroup(GroupState state)
    {
        lock (_stateLock)
        {
            _state = state;
        }
    }

    private void SetResource(int index, ResourceState state)
    {
        lock (_stateLock)
        {
            _status[index] = _status[index] with { State = state };
        }
    }

    private void Fail(int index, ResourceState state, string why)
    {
        lock (_stateLock)
        {
            _status[index] = _status[index] with { State = state, LastFailure = why, LastFailureTime = _time.GetUtcNow() };
        }
    }

    private void Publish(string kind, string subject, string reason, string? action = null, AgentResult? result = null)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal) { ["group"] = Group.Name, ["node"] = _context.NodeName };
        if (action is not null)
        {
            data["action"] = action;
        }
        if (result is not null)
        {
            data["code"] = ((int)result.Code).ToString(CultureInfo.InvariantCulture);
            data["timedOut"] = result.TimedOut ? "true" : "false";
        }
        _events.Publish(kind, subject, reason, data);
    }

    private static string Describe(AgentResult result, string verb) => result.Output.Length > 0 ? $"{verb}: {result.Output}" : verb;

    [LoggerMessage(EventId = 5001, EventName = "Tandem.Resources.StartFailed", Level = LogLevel.Error,
        Message = "Group {Group}: start of {Resource} failed: {Result}; stopping the group")]
    private static partial void LogStartFailed(ILogger logger, string group, string resource, string result);

    [LoggerMessage(EventId = 5002, EventName = "Tandem.Resources.StopFailed", Level = LogLevel.Critical,
        Message = "Group {Group}: stop of {Resource} failed: {Result}; this node must be fenced")]
    private static partial void LogStopFailed(ILogger logger, string group, string resource, string result);

    [LoggerMessage(EventId = 5003, EventName = "Tandem.Resources.MonitorFailed", Level = LogLevel.Warning,
        Message = "Group {Group}: monitor of {Resource} failed: {Result}")]
    private static partial void LogMonitorFailed(ILogger logger, string group, string resource, string result);
}
