using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Status;
using Tandem.Fencing;

namespace Tandem.Daemon.Failover;

/// <summary>
/// Hosts the <see cref="FencingCoordinator"/> of this node (stage Fencing, before anything may be
/// taken over) and shows it as the <c>fencing</c> section of <c>tandem status</c>.
/// </summary>
public sealed partial class FencingSubsystem : IHostedService, IStatusSection
{
    private readonly NodeContext _node;
    private readonly IEventSink _events;
    private readonly ILogger<FencingSubsystem> _logger;
    private readonly FencingStatusSection _section;

    /// <summary>Creates the coordinator for this node's fencing configuration.</summary>
    /// <param name="node">This node and the cluster.</param>
    /// <param name="events">Where fencing decisions go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">The loggers.</param>
    public FencingSubsystem(NodeContext node, IEventSink events, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(loggers);
        _node = node;
        _events = events;
        _logger = loggers.CreateLogger<FencingSubsystem>();
        Coordinator = new FencingCoordinator(node.Spec.Fencing, node.NodeName, events, options: null, devices: null, time,
            loggers.CreateLogger<FencingCoordinator>());
        _section = new FencingStatusSection(Coordinator);
    }

    /// <summary>The coordinator: the takeover rule, fencing, and operators' confirmations.</summary>
    public FencingCoordinator Coordinator { get; }

    /// <inheritdoc/>
    public string Name => _section.Name;

    /// <inheritdoc/>
    public object GetSnapshot() => _section.GetSnapshot();

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Coordinator.Disabled)
        {
            LogDisabled(_logger);
            _events.Publish("fencing.ready", _node.NodeName,
                "fencing is DISABLED in the configuration: a node declared dead is taken over without being fenced, with a warning each time");
            return Task.CompletedTask;
        }
        var peers = _node.Spec.Nodes.Where(n => !string.Equals(n.Name, _node.NodeName, StringComparison.OrdinalIgnoreCase)).Select(n => n.Name).ToList();
        var unfenceable = peers.Where(p => Coordinator.DevicesFor(p).Count == 0).ToList();
        var devices = string.Join(", ", Coordinator.Devices.Select(d => d.Spec.Name));
        if (unfenceable.Count > 0)
        {
            LogNoDevice(_logger, string.Join(", ", unfenceable));
            _events.Publish("fencing.ready", _node.NodeName,
                $"no configured fence device can fence {string.Join(", ", unfenceable)} from this node: their groups will never be taken over here after a failure (devices: {(devices.Length == 0 ? "none" : devices)})");
            return Task.CompletedTask;
        }
        _events.Publish("fencing.ready", _node.NodeName, $"fence devices: {(devices.Length == 0 ? "none" : devices)}");
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 700, EventName = "Tandem.Daemon.FencingDisabled", Level = LogLevel.Warning,
        Message = "Fencing is disabled in the configuration: takeovers proceed without fencing")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 701, EventName = "Tandem.Daemon.FencingNoDevice", Level = LogLevel.Warning,
        Message = "No fence device can fence {Nodes} from this node: their groups cannot be taken over after a failure")]
    private static partial void LogNoDevice(ILogger logger, string nodes);
}
