using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Model;

namespace Tandem.Membership.Ping;

/// <summary>
/// Ping nodes and ping groups (Heartbeat's <c>ping</c> and <c>ping_group</c>): pseudo-nodes probed
/// every keepalive, each dead after <c>deadping</c> without an answer; a group answers when any
/// member does. The number up is this node's connectivity score, which peers compare (ipfail).
/// </summary>
public sealed partial class PingMonitor : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Target[] _targets;
    private readonly IConnectivityProbe _probe;
    private readonly TimingSpec _timing;
    private readonly IEventSink _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Creates a monitor.</summary>
    /// <param name="pings">The ping nodes and groups.</param>
    /// <param name="probe">How an address is probed.</param>
    /// <param name="timing">Keepalive (probe interval) and deadping.</param>
    /// <param name="events">Where ping.up and ping.dead go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    public PingMonitor(IEnumerable<PingSpec> pings, IConnectivityProbe probe, TimingSpec timing, IEventSink events, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(pings);
        _targets = [.. pings.Select(p => new Target(p.Name, [.. p.Addresses.Select(IPAddress.Parse)]))];
        _probe = probe;
        _timing = timing;
        _events = events;
        _time = time;
        _logger = logger;
    }

    /// <summary>Ping nodes and groups configured.</summary>
    public int Total => _targets.Length;

    /// <summary>Ping nodes and groups that answered within deadping: the connectivity score.</summary>
    public int Reachable
    {
        get { lock (_lock) { return _targets.Count(t => t.Up); } }
    }

    /// <summary>Each ping node or group and whether it is up.</summary>
    /// <returns>Name and state.</returns>
    public IReadOnlyList<(string Name, bool Up)> Snapshot()
    {
        lock (_lock)
        {
            return [.. _targets.Select(t => (t.Name, t.Up))];
        }
    }

    /// <summary>Starts probing. Until a target first answers it counts as down.</summary>
    public void Start()
    {
        var now = _time.GetTimestamp();
        foreach (var t in _targets)
        {
            t.LastAnswer = now; // deadping runs from start, as initdead does for nodes
        }
        if (_targets.Length > 0)
        {
            _loop = LoopAsync(_stop.Token);
        }
    }

    /// <summary>Probes every target once and updates states (the loop calls this every keepalive).</summary>
    /// <param name="cancellationToken">Stops probing.</param>
    /// <returns>A task that completes when every probe answered or timed out.</returns>
    public async Task ProbeOnceAsync(CancellationToken cancellationToken)
    {
        var timeout = _timing.Keepalive < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : _timing.Keepalive;
        var results = await Task.WhenAll(_targets.Select(async t =>
        {
            var answers = await Task.WhenAll(t.Addresses.Select(a => _probe.ProbeAsync(a, timeout, cancellationToken))).ConfigureAwait(false);
            return answers.Any(x => x);
        })).ConfigureAwait(false);
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            for (var i = 0; i < _targets.Length; i++)
            {
                var t = _targets[i];
                if (results[i])
                {
                    t.LastAnswer = now;
                    if (!t.Up)
                    {
                        t.Up = true;
                        _events.Publish("ping.up", t.Name, "answers", Data(t));
                    }
                }
                else if (t.Up && _time.GetElapsedTime(t.LastAnswer, now) >= _timing.Deadping)
                {
                    t.Up = false;
                    LogPingDead(_logger, t.Name, (long)_timing.Deadping.TotalMilliseconds);
                    _events.Publish("ping.dead", t.Name,
                        $"no answer for deadping ({(long)_timing.Deadping.TotalMilliseconds} ms)", Data(t));
                }
            }
        }
    }

    /// <summary>The ipfail rule: give up when this node reaches fewer ping nodes than its peer.</summary>
    /// <param name="local">This node's score.</param>
    /// <param name="peer">The peer's score, or null if unknown.</param>
    /// <param name="total">Ping nodes configured.</param>
    /// <returns>The decision.</returns>
    public static IpFailDecision Decide(int local, int? peer, int total) =>
        total == 0 || peer is null ? IpFailDecision.Unknown
        : local < peer ? IpFailDecision.GiveUp
        : IpFailDecision.Keep;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_timing.Keepalive, _time);
        try
        {
            do
            {
                try
                {
                    await ProbeOnceAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogProbeFailed(_logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static Dictionary<string, string> Data(Target t) => new()
    {
        ["ping"] = t.Name,
        ["addresses"] = string.Join(' ', t.Addresses.Select(a => a.ToString())),
        ["up"] = t.Up.ToString(CultureInfo.InvariantCulture).ToLowerInvariant(),
    };

    private sealed class Target(string name, IPAddress[] addresses)
    {
        public string Name { get; } = name;
        public IPAddress[] Addresses { get; } = addresses;
        public bool Up { get; set; }
        public long LastAnswer { get; set; }
    }

    [LoggerMessage(EventId = 1500, EventName = "Tandem.Membership.PingDead", Level = LogLevel.Warning, Message = "Ping node {Name} is dead: no answer for {DeadpingMs} ms")]
    private static partial void LogPingDead(ILogger logger, string name, long deadpingMs);

    [LoggerMessage(EventId = 1501, EventName = "Tandem.Membership.PingProbeFailed", Level = LogLevel.Warning, Message = "Probing ping nodes failed")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception);
}
