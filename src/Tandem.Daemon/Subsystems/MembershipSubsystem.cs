using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Os;
using Tandem.Core.Status;
using Tandem.Daemon.Status;
using Tandem.Membership;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// Hosts heartbeat membership in the daemon: starts <see cref="MembershipService"/> for this node
/// and shows what it knows as the <c>peers</c> section of <c>tandem status</c> (with
/// <see cref="LinkStatusSection"/> drawing the <c>links</c> section from the same snapshot).
/// </summary>
public sealed partial class MembershipSubsystem : IHostedService, IStatusSection, IAsyncDisposable
{
    private readonly NodeContext _node;
    private readonly IEventSink _events;
    private readonly ILogger<MembershipSubsystem> _logger;
    private readonly MembershipService? _service;

    /// <summary>Creates the subsystem; nothing runs until <see cref="StartAsync"/>.</summary>
    /// <param name="node">This node and the cluster.</param>
    /// <param name="events">Where state changes go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">The loggers.</param>
    public MembershipSubsystem(NodeContext node, IEventSink events, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(loggers);
        _node = node;
        _events = events;
        _logger = loggers.CreateLogger<MembershipSubsystem>();
        // A cluster without links or keys (a one-node test cluster, say) runs without membership,
        // and says so, rather than refusing to start.
        if (node.Spec.Links.Count > 0 && node.Spec.Auth is not null)
        {
            _service = new MembershipService(node.Spec, node.NodeName, node.Options.StateDirectory, events, time, loggers);
        }
    }

    /// <summary>The running membership service, or null when the cluster has no links or keys.</summary>
    public MembershipService? Service => _service;

    /// <inheritdoc/>
    public string Name => "peers";

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_service is null)
        {
            var why = _node.Spec.Links.Count == 0 ? "the configuration names no heartbeat links" : "the configuration has no authentication keys";
            LogDisabled(_logger, why);
            _events.Publish("membership.disabled", _node.NodeName, why);
            return;
        }
        if (_node.Options.Realtime)
        {
            if (RealtimeScheduling.TryEnableForProcess(out var error))
            {
                _events.Publish("membership.realtime", _node.NodeName, "real-time scheduling (SCHED_RR): heartbeats keep their timing on a saturated CPU");
            }
            else
            {
                LogNotRealtime(_logger, error!);
                _events.Publish("membership.realtime", _node.NodeName,
                    $"not real-time ({error}): under heavy CPU load heartbeats may be late; keep deadtime well above keepalive");
            }
        }
        await _service.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) =>
        _service is null ? Task.CompletedTask : _service.StopAsync(cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The membership service's full snapshot (counters included), or null when disabled.</summary>
    /// <returns>The snapshot.</returns>
    public MembershipSnapshot? GetMembershipSnapshot() => _service?.GetSnapshot();

    /// <inheritdoc/>
    public object GetSnapshot() => GetPeers();

    /// <summary>The <c>peers</c> section: every peer, its status, when it was last heard, its state on each link.</summary>
    /// <returns>The peers.</returns>
    public PeerStatus[] GetPeers() =>
        GetMembershipSnapshot() is { } snapshot
            ? [.. snapshot.Nodes.Select(n => new PeerStatus(n.Node, n.Status, n.LastHeardMs, n.Late, n.Links))]
            : [];

    [LoggerMessage(EventId = 311, EventName = "Tandem.Daemon.NotRealtime", Level = LogLevel.Warning,
        Message = "Real-time scheduling is not available: {Reason}")]
    private static partial void LogNotRealtime(ILogger logger, string reason);

    [LoggerMessage(EventId = 310, EventName = "Tandem.Daemon.MembershipDisabled", Level = LogLevel.Warning,
        Message = "Membership is not running: {Reason}")]
    private static partial void LogDisabled(ILogger logger, string reason);
}
