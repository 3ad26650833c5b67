using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Daemon.Events;

namespace Tandem.Daemon.Hosting;

/// <summary>
/// Runs the daemon's life in stages. The control socket (Kestrel) starts with the host; then this
/// service starts the subsystems in <see cref="DaemonStage"/> order and announces
/// <c>daemon.started</c>. On stop it announces <c>daemon.stopping</c>, stops the subsystems in
/// reverse while the control API still answers, ends the event followers, and only then lets the
/// server stop, so that a follower sees the whole shutdown and never holds the stop up.
/// </summary>
internal sealed partial class SubsystemHost : IHostedLifecycleService
{
    private readonly IServiceProvider _services;
    private readonly IReadOnlyList<SubsystemRegistration> _registrations;
    private readonly NodeContext _node;
    private readonly EventLog _events;
    private readonly SdNotify _notify;
    private readonly ILogger<SubsystemHost> _logger;
    private readonly List<(SubsystemRegistration Registration, IHostedService Service)> _started = [];
    private int _stopping;

    public SubsystemHost(
        IServiceProvider services,
        IEnumerable<SubsystemRegistration> registrations,
        NodeContext node,
        EventLog events,
        SdNotify notify,
        ILogger<SubsystemHost> logger)
    {
        _services = services;
        _registrations = [.. registrations.OrderBy(r => r.Stage).ThenBy(r => r.Order)];
        _node = node;
        _events = events;
        _notify = notify;
        _logger = logger;
    }

    /// <summary>The subsystems in start order.</summary>
    public IReadOnlyList<SubsystemRegistration> Registrations => _registrations;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        LogStarting(_logger, _node.NodeName, NodeContext.Version, _node.Options.StateDirectory, _node.Options.RunDirectory);
        _events.Publish("config.loaded", "config",
            _node.Spec.Sources.Count == 0 ? "configuration given in code" : "read " + string.Join(", ", _node.Spec.Sources),
            new Dictionary<string, string>
            {
                ["sources"] = string.Join(",", _node.Spec.Sources),
                ["cluster"] = _node.Spec.Name,
                ["nodes"] = string.Join(",", _node.Spec.Nodes.Select(n => n.Name)),
            });
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        // Kestrel has bound the control socket by now (it starts in StartAsync, before this).
        var socket = DaemonOptions.ControlSocketPath(_node.Options.RunDirectory);
        // The socket is created with the process umask; the run directory (0700) closes the gap
        // until this chmod, and the peer-credential check applies to every connection regardless.
        File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        LogListening(_logger, socket);

        foreach (var registration in _registrations)
        {
            var service = (IHostedService)_services.GetRequiredService(registration.ServiceType);
            LogSubsystemStarting(_logger, registration.Name, registration.Stage);
            try
            {
                await service.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogSubsystemFailed(_logger, e, registration.Name, registration.Stage);
                _events.Publish("daemon.failed", registration.Name, $"{registration.Name} did not start: {e.Message}");
                await StopStartedAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            _started.Add((registration, service));
        }

        var elapsed = _node.Options.TimeProvider.GetUtcNow() - _node.StartedAt;
        _events.Publish("daemon.started", "daemon",
            $"node {_node.NodeName} is up: control socket {socket}, {_registrations.Count} subsystem(s) started",
            new Dictionary<string, string>
            {
                ["pid"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                ["version"] = NodeContext.Version,
                ["startMs"] = ((long)elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            });
        if (_notify.TryNotify($"READY=1\nSTATUS=node {_node.NodeName} running"))
        {
            LogNotified(_logger, "READY=1");
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }
        LogStopping(_logger, _node.NodeName);
        _notify.TryNotify($"STOPPING=1\nSTATUS=node {_node.NodeName} stopping");
        _events.Publish("daemon.stopping", "daemon", "stop requested (signal, tandem shutdown, or the service manager)");
        await StopStartedAsync(cancellationToken).ConfigureAwait(false);
        _events.Publish("daemon.stopped", "daemon", "every subsystem has stopped");
        // Followers end here, before Kestrel stops, so that their open streams never hold the stop up.
        _events.Complete();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        LogStopped(_logger, _node.NodeName);
        return Task.CompletedTask;
    }

    private async Task StopStartedAsync(CancellationToken cancellationToken)
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            var (registration, service) = _started[i];
            try
            {
                await service.StopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Keep stopping the earlier stages: a failed stop of one must not leave the others running.
                LogSubsystemStopFailed(_logger, e, registration.Name);
            }
        }
        _started.Clear();
    }

    [LoggerMessage(EventId = 100, EventName = "Tandem.Daemon.Starting", Level = LogLevel.Information,
        Message = "Starting node {Node} (tandem {Version}); state {StateDirectory}, run {RunDirectory}")]
    private static partial void LogStarting(ILogger logger, string node, string version, string stateDirectory, string runDirectory);

    [LoggerMessage(EventId = 101, EventName = "Tandem.Daemon.Listening", Level = LogLevel.Information,
        Message = "Control API listening on {Socket}")]
    private static partial void LogListening(ILogger logger, string socket);

    [LoggerMessage(EventId = 102, EventName = "Tandem.Daemon.SubsystemStarting", Level = LogLevel.Debug,
        Message = "Starting subsystem {Subsystem} (stage {Stage})")]
    private static partial void LogSubsystemStarting(ILogger logger, string subsystem, DaemonStage stage);

    [LoggerMessage(EventId = 103, EventName = "Tandem.Daemon.SubsystemFailed", Level = LogLevel.Critical,
        Message = "Subsystem {Subsystem} (stage {Stage}) failed to start; stopping the ones already started")]
    private static partial void LogSubsystemFailed(ILogger logger, Exception exception, string subsystem, DaemonStage stage);

    [LoggerMessage(EventId = 104, EventName = "Tandem.Daemon.Notified", Level = LogLevel.Debug,
        Message = "Notified the service manager: {State}")]
    private static partial void LogNotified(ILogger logger, string state);

    [LoggerMessage(EventId = 105, EventName = "Tandem.Daemon.Stopping", Level = LogLevel.Information,
        Message = "Stopping node {Node}")]
    private static partial void LogStopping(ILogger logger, string node);

    [LoggerMessage(EventId = 106, EventName = "Tandem.Daemon.SubsystemStopFailed", Level = LogLevel.Error,
        Message = "Subsystem {Subsystem} failed to stop cleanly")]
    private static partial void LogSubsystemStopFailed(ILogger logger, Exception exception, string subsystem);

    [LoggerMessage(EventId = 107, EventName = "Tandem.Daemon.Stopped", Level = LogLevel.Information,
        Message = "Node {Node} stopped")]
    private static partial void LogStopped(ILogger logger, string node);
}
