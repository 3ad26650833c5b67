using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Fencing.Devices;

namespace Tandem.Fencing;

/// <summary>
/// Applies the takeover rule (<see cref="TakeoverRule"/>): a dead peer's groups may be taken over only when it was fenced
/// successfully, or it left cleanly, or the configuration explicitly runs without fencing (then a
/// loud <c>fencing.disabled</c> warning at every takeover). Devices are tried in order, and the whole
/// round retried with backoff until a deadline; a failed fence means no takeover (<c>fencing.failed</c>).
/// </summary>
public sealed partial class FencingCoordinator
{
    private readonly FencingSpec _spec;
    private readonly IEventSink _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<IFenceDevice> _devices;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset Time, FenceResult Result)> _last = new(StringComparer.Ordinal);

    /// <summary>Creates a coordinator.</summary>
    /// <param name="spec">The fencing configuration.</param>
    /// <param name="localNode">This node's name (devices that run elsewhere are not used here).</param>
    /// <param name="events">Where decisions are reported.</param>
    /// <param name="options">Deadline and backoff; null for defaults.</param>
    /// <param name="devices">The drivers, one per <see cref="FencingSpec.Devices"/> entry in order; null to create them with <see cref="FenceDeviceFactory"/>.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    /// <param name="logger">The logger; null for none.</param>
    public FencingCoordinator(FencingSpec spec, string localNode, IEventSink events, FencingOptions? options = null,
        IReadOnlyList<IFenceDevice>? devices = null, TimeProvider? time = null, ILogger<FencingCoordinator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(localNode);
        ArgumentNullException.ThrowIfNull(events);
        _spec = spec;
        LocalNode = localNode;
        _events = events;
        Options = options ?? new FencingOptions();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        var factory = new FenceDeviceFactory(events);
        _devices = devices ?? [.. spec.Devices.Select(factory.Create)];
    }

    /// <summary>This node.</summary>
    public string LocalNode { get; }

    /// <summary>Deadline and backoff.</summary>
    public FencingOptions Options { get; }

    /// <summary>True when the configuration runs without fencing.</summary>
    public bool Disabled => _spec.Disabled;

    /// <summary>The last fencing outcome for each node fenced from here, with its time.</summary>
    public IReadOnlyDictionary<string, (DateTimeOffset Time, FenceResult Result)> LastResults => _last;

    /// <summary>Every device, in configured order.</summary>
    public IReadOnlyList<IFenceDevice> Devices => _devices;

    /// <summary>The devices this node may use against <paramref name="node"/>: run here (or anywhere) and target it (or all).</summary>
    /// <param name="node">The node to fence.</param>
    /// <returns>The devices, in order.</returns>
    public IReadOnlyList<IFenceDevice> DevicesFor(string node) =>
        node == LocalNode
            ? []
            : [.. _devices.Where(d => (d.Spec.RunsOn is null || string.Equals(d.Spec.RunsOn, LocalNode, StringComparison.OrdinalIgnoreCase))
                && (d.Spec.Targets.Count == 0 || d.Spec.Targets.Any(t => string.Equals(t, node, StringComparison.OrdinalIgnoreCase))))];

    /// <summary>Decides whether this node may take over the groups of a peer that is gone, fencing it when needed.</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="leftCleanly">True when the peer announced its departure after releasing its groups.</param>
    /// <param name="cancellationToken">Cancels the decision (no takeover).</param>
    /// <returns>The decision.</returns>
    public async Task<TakeoverDecision> AuthorizeTakeoverAsync(string peer, bool leftCleanly, CancellationToken cancellationToken)
    {
        // A fencing done earlier is not reused: this node learns only now that the peer is gone,
        // and only a fencing from now on proves that it is off now.
        var ruling = TakeoverRule.Decide(new TakeoverFacts(leftCleanly, FencedSinceSilent: false, _spec.Disabled, DevicesFor(peer).Count > 0));
        switch (ruling.Step)
        {
            case TakeoverStep.Allow when ruling.Basis == TakeoverBasis.LeftCleanly:
                _events.Publish("fencing.unneeded", peer, $"{peer} left cleanly after releasing its groups; no fencing needed");
                return new TakeoverDecision(peer, true, TakeoverBasis.LeftCleanly, $"{peer} left cleanly");
            case TakeoverStep.Allow:
                var warning = $"WARNING: taking over from {peer} WITHOUT FENCING (fencing is disabled in the configuration): "
                    + "if it is still alive, both nodes may now run the same groups and corrupt shared data";
                _events.Publish("fencing.disabled", peer, warning);
                LogDisabled(_logger, peer);
                return new TakeoverDecision(peer, true, ruling.Basis, warning);
            case TakeoverStep.Refuse:
                var why = $"no fence device can fence {peer} from {LocalNode}; its groups will not be taken over";
                _events.Publish("fencing.failed", peer, why);
                LogFailed(_logger, peer, why);
                return new TakeoverDecision(peer, false, TakeoverBasis.NoDevice, why);
            default:
                var result = await FenceAsync(peer, $"{peer} is dead and may still hold its groups", cancellationToken).ConfigureAwait(false);
                return result.Success
                    ? new TakeoverDecision(peer, true, TakeoverBasis.Fenced, result.Detail)
                    : new TakeoverDecision(peer, false, TakeoverBasis.FenceFailed, result.Detail);
        }
    }

    /// <summary>Fences a node: each usable device in order, rounds repeated with backoff until success or the deadline.</summary>
    /// <param name="node">The node.</param>
    /// <param name="reason">Why, for events.</param>
    /// <param name="cancellationToken">Cancels the fencing (counts as failed).</param>
    /// <returns>The successful device's result, or a failure listing what was tried.</returns>
    public async Task<FenceResult> FenceAsync(string node, string reason, CancellationToken cancellationToken)
    {
        var devices = DevicesFor(node);
        if (devices.Count == 0)
        {
            var why = $"no fence device can fence {node} from {LocalNode}";
            _events.Publish("fencing.failed", node, why);
            return FenceResult.Failed("", why);
        }
        _events.Publish("fencing.started", node, reason);
        using var deadline = new CancellationTokenSource(Options.Deadline, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var backoff = Options.InitialBackoff;
        var failures = new List<string>();
        for (var round = 1; ; round++)
        {
            foreach (var device in devices)
            {
                if (round == 1 && FenceDelay(device.Spec) is { } delay && delay > TimeSpan.Zero)
                {
                    // Two nodes that lose each other fence at once; a delay on one side's device
                    // lets one of them win the race instead of both going down (Pacemaker's pcmk_delay_*).
                    _events.Publish("fencing.delay", node, string.Create(CultureInfo.InvariantCulture,
                        $"waiting {delay.TotalSeconds:0.###} s before using {device.Spec.Name}"), Data(device.Spec.Name, round));
                    try
                    {
                        await Task.Delay(delay, _time, linked.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                FenceResult result;
                try
                {
                    result = await device.FenceAsync(node, linked.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    result = FenceResult.Failed(device.Spec.Name, $"{ex.GetType().Name}: {ex.Message}");
                }
                _last[node] = (_time.GetUtcNow(), result);
                if (result.Success)
                {
                    _events.Publish("fencing.succeeded", node, result.Detail, Data(device.Spec.Name, round));
                    LogFenced(_logger, node, device.Spec.Name);
                    return result;
                }
                failures.Add($"{device.Spec.Name}: {result.Detail}");
                _events.Publish("fencing.attempt-failed", node, result.Detail, Data(device.Spec.Name, round));
                if (linked.IsCancellationRequested)
                {
                    break;
                }
            }
            if (!linked.IsCancellationRequested)
            {
                _events.Publish("fencing.retry", node,
                    string.Create(CultureInfo.InvariantCulture, $"round {round} failed; retrying in {backoff.TotalSeconds:0.###} s"));
                try
                {
                    await Task.Delay(backoff, _time, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The deadline or the caller: report below.
                }
                var doubled = backoff * 2;
                backoff = doubled > Options.MaxBackoff ? Options.MaxBackoff : doubled;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                // The caller no longer needs it (the node came back, an operator confirmed it is off,
                // or this node stops): not a failure of the devices, and not the node's last outcome.
                var stopped = $"fencing of {node} stopped: the caller no longer waits for it. Tried: " + string.Join("; ", failures.TakeLast(devices.Count));
                _events.Publish("fencing.cancelled", node, stopped);
                return FenceResult.Failed(devices[^1].Spec.Name, stopped);
            }
            if (linked.IsCancellationRequested)
            {
                var why = $"fencing did not succeed within {Options.Deadline}"
                    + $"; {node}'s groups will not be taken over. Tried: " + string.Join("; ", failures.TakeLast(devices.Count));
                _events.Publish("fencing.failed", node, why);
                LogFailed(_logger, node, why);
                var failed = FenceResult.Failed(devices[^1].Spec.Name, why);
                _last[node] = (_time.GetUtcNow(), failed);
                return failed;
            }
        }
    }

    /// <summary>An operator confirms that <paramref name="node"/> is off (<c>tandem fence confirm NODE</c>).</summary>
    /// <param name="node">The node.</param>
    /// <returns>True when a manual fencing of that node was waiting and is now complete.</returns>
    public bool Confirm(string node)
    {
        var confirmed = false;
        foreach (var manual in _devices.OfType<ManualFenceDevice>())
        {
            confirmed |= manual.Confirm(node);
        }
        _events.Publish(confirmed ? "fencing.confirmed" : "fencing.confirm-ignored", node,
            confirmed ? $"an operator confirmed that {node} is off" : $"no manual fencing of {node} was waiting; nothing confirmed");
        return confirmed;
    }

    /// <summary>
    /// The delay before a device's first use: <c>pcmk_delay_base</c> plus a random part up to
    /// <c>pcmk_delay_max</c> (both in seconds, or with <c>ms</c>/<c>s</c>); null when neither is set.
    /// </summary>
    /// <param name="spec">The device.</param>
    /// <returns>The delay, or null.</returns>
    public static TimeSpan? FenceDelay(FenceDeviceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var baseDelay = ParseDelay(spec.Parameters.GetValueOrDefault("pcmk_delay_base"));
        var maxDelay = ParseDelay(spec.Parameters.GetValueOrDefault("pcmk_delay_max"));
        if (baseDelay is null && maxDelay is null)
        {
            return null;
        }
        var b = baseDelay ?? TimeSpan.Zero;
        var m = maxDelay ?? TimeSpan.Zero;
        return m > b ? b + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * (m - b).TotalMilliseconds) : b;
    }

    private static TimeSpan? ParseDelay(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var t = text.Trim();
        var scale = 1000.0;
        if (t.EndsWith("ms", StringComparison.Ordinal))
        {
            scale = 1;
            t = t[..^2];
        }
        else if (t.EndsWith('s'))
        {
            t = t[..^1];
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 ? TimeSpan.FromMilliseconds(v * scale) : null;
    }

    private static Dictionary<string, string> Data(string device, int round) =>
        new(StringComparer.Ordinal) { ["device"] = device, ["round"] = round.ToString(CultureInfo.InvariantCulture) };

    [LoggerMessage(EventId = 6001, EventName = "Tandem.Fencing.Fenced", Level = LogLevel.Warning, Message = "Fenced {Node} with {Device}")]
    private static partial void LogFenced(ILogger logger, string node, string device);

    [LoggerMessage(EventId = 6002, EventName = "Tandem.Fencing.Failed", Level = LogLevel.Critical, Message = "Fencing {Node} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = 6003, EventName = "Tandem.Fencing.Disabled", Level = LogLevel.Critical,
        Message = "Taking over from {Node} WITHOUT FENCING: fencing is disabled in the configuration")]
    private static partial void LogDisabled(ILogger logger, string node);
}
