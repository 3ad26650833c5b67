using System.Globalization;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Membership;
using Tandem.Core.Model;

namespace Tandem.Membership.Detection;

/// <summary>
/// Decides, per peer and per link, who is alive, with Heartbeat's timing: a link to a peer is dead
/// after deadtime without a heartbeat on it, a peer is dead only when every link to it is dead
/// (initdead replaces deadtime until the peer is first heard), and warntime raises a late-heartbeat
/// event. Each change of a peer's status is published twice from the same place: as a typed
/// <see cref="MembershipView"/> to <see cref="Subscribe"/>rs (what decisions read) and as an event
/// with its reason through <see cref="IEventSink"/> (what operators read).
/// </summary>
/// <remarks>
/// The detector's timer is armed for the nearest deadline, so detection is exact to the clock, and
/// at least every <see cref="DetectorOptions.MaxTickInterval"/>. When the timer fires later than
/// <see cref="DetectorOptions.StallThreshold"/>, this node itself was stalled (GC pause, CPU
/// starvation, SIGSTOP): heartbeats that peers sent meanwhile may still sit unread in socket
/// buffers, so the silence that overlapped the stall is not held against them. Every deadline is
/// moved on by the stall's length and to at least one keepalive after it (Lifeguard's
/// "local health" idea, reduced to what a two-node Heartbeat cluster needs).
/// All time is from the injected <see cref="TimeProvider"/>'s monotonic timestamps, so wall-clock
/// jumps change nothing.
/// </remarks>
public sealed partial class FailureDetector : IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _localNode;
    private readonly string[] _links;
    private readonly Dictionary<string, Peer> _peers;
    private readonly IEventSink _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _keepalive, _warntime, _deadtime, _initdead, _stallThreshold, _maxTick;
    private ITimer? _timer;
    private long _expectedTick;
    private long _stalls;
    private NodeStatus _localStatus = NodeStatus.Init;
    private readonly List<MembershipSubscription> _subscribers = [];
    private MembershipView _view;
    private bool _disposed;

    /// <summary>Creates a detector; it does nothing until <see cref="Start"/>.</summary>
    /// <param name="localNode">This node's name.</param>
    /// <param name="peers">The other members.</param>
    /// <param name="links">The link names, by index.</param>
    /// <param name="timing">Keepalive, warntime, deadtime, initdead.</param>
    /// <param name="events">Where state changes go.</param>
    /// <param name="time">The clock and timer source.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="options">Tuning, or null for defaults.</param>
    public FailureDetector(
        string localNode, IEnumerable<string> peers, IReadOnlyList<string> links, TimingSpec timing,
        IEventSink events, TimeProvider time, ILogger logger, DetectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(timing);
        ArgumentNullException.ThrowIfNull(links);
        _localNode = localNode;
        _links = [.. links];
        _events = events;
        _time = time;
        _logger = logger;
        options ??= new DetectorOptions();
        _keepalive = Ticks(timing.Keepalive);
        _warntime = Ticks(timing.Warntime);
        _deadtime = Ticks(timing.Deadtime);
        _initdead = Ticks(timing.Initdead > timing.Deadtime ? timing.Initdead : timing.Deadtime);
        var threshold = options.StallThreshold ?? (timing.Keepalive > TimeSpan.FromMilliseconds(20) ? timing.Keepalive : TimeSpan.FromMilliseconds(20));
        _stallThreshold = Ticks(threshold);
        _maxTick = Ticks(options.MaxTickInterval ?? timing.Keepalive);
        _peers = new Dictionary<string, Peer>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in peers)
        {
            if (!string.Equals(p, localNode, StringComparison.OrdinalIgnoreCase))
            {
                _peers[p] = new Peer(p, _links.Length);
            }
        }
        _view = MembershipView.Initial(_peers.Keys);
    }

    /// <summary>The latest membership view: every peer's status, generation and reason.</summary>
    public MembershipView View
    {
        get { lock (_lock) { return _view; } }
    }

    /// <summary>
    /// Subscribes to membership views: the current one first, then one per change, in order, with
    /// nothing missed between the two.
    /// </summary>
    /// <returns>The subscription; dispose it to stop.</returns>
    public MembershipSubscription Subscribe()
    {
        var subscription = new MembershipSubscription(s =>
        {
            lock (_lock)
            {
                _subscribers.Remove(s);
            }
        });
        lock (_lock)
        {
            subscription.Offer(_view);
            _subscribers.Add(subscription);
        }
        return subscription;
    }

    /// <summary>This node's own status: init before start, up once started, active when every peer was heard or declared dead.</summary>
    public NodeStatus LocalStatus
    {
        get { lock (_lock) { return _localStatus; } }
    }

    /// <summary>How many times this node noticed that it had itself been stalled.</summary>
    public long Stalls => Interlocked.Read(ref _stalls);

    /// <summary>Starts the clock: from now, unheard peers have initdead to show up.</summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetTimestamp();
            foreach (var p in _peers.Values)
            {
                foreach (var l in p.Links)
                {
                    l.DeadlineAt = now + _initdead;
                }
            }
            _localStatus = NodeStatus.Up;
            _events.Publish("node.up", _localNode, "membership started on this node", Data(("node", _localNode)));
            _expectedTick = now + _maxTick;
            _timer = _time.CreateTimer(static s => ((FailureDetector)s!).Tick(), this, TimeSpan.FromTicks(ToTimeSpanTicks(_maxTick)), Timeout.InfiniteTimeSpan);
            UpdateLocalStatus();
        }
    }

    /// <summary>Records an authenticated heartbeat (or any authenticated packet) from a peer on a link.</summary>
    /// <param name="peer">The sender's canonical name.</param>
    /// <param name="link">The index of the link it arrived on.</param>
    /// <param name="generation">The sender's generation.</param>
    /// <param name="reported">The status the sender reports for itself, or null when the packet carried none.</param>
    public void OnHeartbeat(string peer, int link, ulong generation, NodeStatus? reported)
    {
        lock (_lock)
        {
            if (_disposed || !_peers.TryGetValue(peer, out var p) || (uint)link >= (uint)_links.Length)
            {
                return;
            }
            if (reported is NodeStatus.Dead)
            {
                OnLeave(p, generation);
                return;
            }
            if (generation <= p.LeftGeneration)
            {
                return; // a heartbeat sent before the leave, overtaken by it on another link
            }
            var now = _time.GetTimestamp();
            var l = p.Links[link];
            var linkSilence = l.LastHeard == 0 ? (long?)null : now - l.LastHeard;
            l.LastHeard = now;
            l.DeadlineAt = now + _deadtime;
            l.WarnAt = now + _warntime;
            l.Heartbeats++;
            if (l.Status != LinkStatus.Up)
            {
                var why = l.Status == LinkStatus.Init
                    ? "first heartbeat on this link"
                    : $"heartbeats again after {Ms(linkSilence ?? 0)} ms of silence";
                l.Status = LinkStatus.Up;
                _events.Publish("link.up", LinkSubject(p, link), why, Data(("node", p.Name), ("link", _links[link])));
            }

            var nodeSilence = p.LastHeard == 0 ? (long?)null : now - p.LastHeard;
            p.LastHeard = now;
            if (p.Late)
            {
                p.Late = false;
                LogHeartbeatAfterLate(_logger, p.Name, Ms(nodeSilence ?? 0));
            }
            var restarted = p.Generation != 0 && generation > p.Generation;
            var previousGeneration = p.Generation;
            p.Generation = Math.Max(p.Generation, generation);
            var newStatus = reported is NodeStatus.Active ? NodeStatus.Active : NodeStatus.Up;
            if (p.Status is NodeStatus.Init or NodeStatus.Dead)
            {
                var why = p.Status == NodeStatus.Init
                    ? $"first heartbeat, on link {_links[link]}"
                    : restarted
                        ? $"back after {Ms(nodeSilence ?? 0)} ms, restarted (generation {previousGeneration} -> {generation})"
                        : $"back after {Ms(nodeSilence ?? 0)} ms with the same generation: returning after a partition";
                SetNodeStatus(p, NodeStatus.Up, why);
                if (newStatus == NodeStatus.Active)
                {
                    SetNodeStatus(p, NodeStatus.Active, "reports itself active");
                }
                UpdateLocalStatus();
            }
            else if (restarted)
            {
                var why = $"generation {previousGeneration} -> {generation} without missing deadtime";
                p.Reason = why;
                PublishView(p, MemberChange.Restarted);
                _events.Publish("node.restarted", p.Name, why,
                    Data(("node", p.Name), ("generation", generation.ToString(CultureInfo.InvariantCulture))));
                if (p.Status != newStatus)
                {
                    SetNodeStatus(p, newStatus, newStatus == NodeStatus.Active ? "reports itself active" : "restarted and not yet active");
                }
            }
            else if (p.Status != newStatus && newStatus == NodeStatus.Active)
            {
                SetNodeStatus(p, NodeStatus.Active, "reports itself active");
            }
        }
    }

    /// <summary>
    /// A peer announced its shutdown (its last heartbeats report it dead, as Heartbeat's do): it
    /// left the cluster cleanly, which is not a failure, so it is reported at once as
    /// <c>node.left</c> instead of as <c>node.dead</c> after deadtime — and whoever takes over its
    /// groups knows that it needs no fencing.
    /// </summary>
    private void OnLeave(Peer p, ulong generation)
    {
        if (p.Status == NodeStatus.Dead || generation < p.Generation)
        {
            return;
        }
        var old = p.Status;
        p.Generation = generation;
        p.LeftGeneration = generation;
        p.Late = false;
        foreach (var l in p.Links)
        {
            l.Status = LinkStatus.Dead;
        }
        p.Status = NodeStatus.Dead;
        p.Reason = "announced its shutdown: it left the cluster cleanly";
        LogNodeLeft(_logger, p.Name);
        PublishView(p, MemberChange.Left);
        _events.Publish("node.left", p.Name, p.Reason,
            Data(("node", p.Name), ("from", Name(old)), ("to", Name(NodeStatus.Dead)),
                ("generation", generation.ToString(CultureInfo.InvariantCulture))));
        UpdateLocalStatus();
    }

    /// <summary>A point-in-time view of every peer and link.</summary>
    /// <returns>The peers in configuration order.</returns>
    public IReadOnlyList<PeerView> Snapshot()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            return [.. _peers.Values.Select(p => new PeerView(
                p.Name, p.Status, p.Generation, p.Late, Since(now, p.LastHeard),
                [.. p.Links.Select((l, i) => new LinkView(_links[i], l.Status, Since(now, l.LastHeard), l.Heartbeats))]))];
        }
    }

    /// <summary>Whether a peer is gone because it announced its shutdown (<c>node.left</c>), not because it went silent.</summary>
    /// <param name="peer">The peer's name.</param>
    /// <returns>True while it is Dead after leaving cleanly.</returns>
    public bool LeftCleanly(string peer)
    {
        lock (_lock)
        {
            return _peers.TryGetValue(peer, out var p) && p.Status == NodeStatus.Dead && p.LeftGeneration != 0 && p.LeftGeneration == p.Generation;
        }
    }

    /// <summary>The status of one peer.</summary>
    /// <param name="peer">The peer's name.</param>
    /// <returns>Its status, or null for a non-member.</returns>
    public NodeStatus? StatusOf(string peer)
    {
        lock (_lock)
        {
            return _peers.TryGetValue(peer, out var p) ? p.Status : null;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            var now = _time.GetTimestamp();
            var lateness = now - _expectedTick;
            if (lateness > _stallThreshold)
            {
                OnStall(now, lateness);
            }
            var next = now + _maxTick;
            foreach (var p in _peers.Values)
            {
                CheckPeer(p, now);
                if (p.Status == NodeStatus.Dead)
                {
                    continue;
                }
                foreach (var l in p.Links)
                {
                    if (l.Status != LinkStatus.Dead)
                    {
                        next = Math.Min(next, l.DeadlineAt);
                    }
                }
                if (!p.Late && p.Status is NodeStatus.Up or NodeStatus.Active)
                {
                    next = Math.Min(next, p.WarnAt);
                }
            }
            UpdateLocalStatus();
            next = Math.Max(next, now + 1);
            _expectedTick = next;
            _timer?.Change(TimeSpan.FromTicks(ToTimeSpanTicks(next - now)), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnStall(long now, long lateness)
    {
        Interlocked.Increment(ref _stalls);
        LogStall(_logger, Ms(lateness));
        _events.Publish("membership.stall", _localNode,
            $"this node's detector ran {Ms(lateness)} ms late (GC pause, CPU starvation or SIGSTOP); silence during the stall is not held against peers",
            Data(("node", _localNode), ("late_ms", Ms(lateness).ToString(CultureInfo.InvariantCulture))));
        foreach (var p in _peers.Values)
        {
            foreach (var l in p.Links)
            {
                if (l.Status != LinkStatus.Dead)
                {
                    l.DeadlineAt = Math.Max(l.DeadlineAt + lateness, now + _keepalive);
                    if (l.WarnAt != 0)
                    {
                        l.WarnAt = Math.Max(l.WarnAt + lateness, now + _keepalive);
                    }
                }
            }
        }
    }

    private void CheckPeer(Peer p, long now)
    {
        if (p.Status == NodeStatus.Dead)
        {
            return;
        }
        var allDead = true;
        for (var i = 0; i < p.Links.Length; i++)
        {
            var l = p.Links[i];
            if (l.Status != LinkStatus.Dead && now >= l.DeadlineAt)
            {
                var why = l.Status == LinkStatus.Init
                    ? $"never heard within initdead ({Ms(_initdead)} ms)"
                    : $"no heartbeat for {Ms(now - l.LastHeard)} ms (deadtime {Ms(_deadtime)} ms)";
                l.Status = LinkStatus.Dead;
                _events.Publish("link.dead", LinkSubject(p, i), why, Data(("node", p.Name), ("link", _links[i])));
            }
            allDead &= l.Status == LinkStatus.Dead;
        }
        if (allDead)
        {
            var why = p.Status == NodeStatus.Init
                ? $"never heard within initdead ({Ms(_initdead)} ms)"
                : $"every link silent for deadtime ({Ms(_deadtime)} ms); last heartbeat {Ms(now - p.LastHeard)} ms ago";
            p.Late = false;
            SetNodeStatus(p, NodeStatus.Dead, why);
            return;
        }
        if (!p.Late && p.Status is NodeStatus.Up or NodeStatus.Active && now >= p.WarnAt)
        {
            p.Late = true;
            LogLate(_logger, p.Name, Ms(now - p.LastHeard));
            _events.Publish("node.late", p.Name, $"late heartbeat: none for {Ms(now - p.LastHeard)} ms (warntime {Ms(_warntime)} ms)",
                Data(("node", p.Name), ("interval_ms", Ms(now - p.LastHeard).ToString(CultureInfo.InvariantCulture))));
        }
    }

    private void SetNodeStatus(Peer p, NodeStatus status, string why)
    {
        var old = p.Status;
        p.Status = status;
        p.Reason = why;
        var kind = status switch
        {
            NodeStatus.Up => "node.up",
            NodeStatus.Active => "node.active",
            NodeStatus.Dead => "node.dead",
            _ => "node.init",
        };
        if (status == NodeStatus.Dead)
        {
            LogNodeDead(_logger, p.Name, why);
        }
        else
        {
            LogNodeStatus(_logger, p.Name, status, why);
        }
        PublishView(p, (old, status) switch
        {
            (_, NodeStatus.Dead) => MemberChange.Died,
            (_, NodeStatus.Active) => MemberChange.BecameActive,
            (NodeStatus.Init, _) => MemberChange.Joined,
            (NodeStatus.Dead, _) when p.DeadGeneration != p.Generation => MemberChange.Restarted,
            (NodeStatus.Dead, _) => MemberChange.Returned,
            _ => MemberChange.None,
        });
        _events.Publish(kind, p.Name, why, Data(("node", p.Name), ("from", Name(old)), ("to", Name(status)),
            ("generation", p.Generation.ToString(CultureInfo.InvariantCulture))));
    }

    private void UpdateLocalStatus()
    {
        if (_localStatus == NodeStatus.Up && _peers.Values.All(p => p.Status != NodeStatus.Init))
        {
            _localStatus = NodeStatus.Active;
            _events.Publish("node.active", _localNode, "every member heard from or declared dead", Data(("node", _localNode)));
        }
    }

    /// <summary>Publishes the view after a change of <paramref name="changed"/>; called with the lock held, so views go out in order.</summary>
    private void PublishView(Peer changed, MemberChange change)
    {
        if (changed.Status == NodeStatus.Dead)
        {
            changed.DeadGeneration = changed.Generation;
        }
        _view = new MembershipView(_view.Version + 1, [.. _peers.Values.Select(p => new MemberView(
            p.Name, StatusOf(p), p.Generation, ReferenceEquals(p, changed) ? change : MemberChange.None, p.Reason))]);
        foreach (var subscriber in _subscribers)
        {
            subscriber.Offer(_view);
        }
    }

    private static MemberStatus StatusOf(Peer p) => p.Status switch
    {
        NodeStatus.Up => MemberStatus.Up,
        NodeStatus.Active => MemberStatus.Active,
        NodeStatus.Dead when p.LeftGeneration != 0 && p.LeftGeneration == p.Generation => MemberStatus.Left,
        NodeStatus.Dead => MemberStatus.Dead,
        _ => MemberStatus.Unknown,
    };

    private string LinkSubject(Peer p, int link) => $"{p.Name}/{_links[link]}";

    private static string Name(NodeStatus s) => s.ToString().ToLowerInvariant();

    private static Dictionary<string, string> Data(params (string Key, string Value)[] items) =>
        items.ToDictionary(i => i.Key, i => i.Value);

    private TimeSpan? Since(long now, long then) => then == 0 ? null : TimeSpan.FromTicks(ToTimeSpanTicks(now - then));

    private long Ticks(TimeSpan t) => (long)(t.Ticks * (double)_time.TimestampFrequency / TimeSpan.TicksPerSecond);

    private long ToTimeSpanTicks(long timestampTicks) => (long)(timestampTicks * (double)TimeSpan.TicksPerSecond / _time.TimestampFrequency);

    private long Ms(long timestampTicks) => (long)Math.Round(timestampTicks * 1000.0 / _time.TimestampFrequency);

    private sealed class Peer(string name, int links)
    {
        public string Name { get; } = name;
        public NodeStatus Status { get; set; } = NodeStatus.Init;
        public ulong Generation { get; set; }
        public ulong LeftGeneration { get; set; }
        public ulong DeadGeneration { get; set; }
        public string Reason { get; set; } = "not heard from yet";
        public long LastHeard { get; set; }
        public bool Late { get; set; }
        public LinkState[] Links { get; } = [.. Enumerable.Range(0, links).Select(_ => new LinkState())];

        /// <summary>Late when every link is past its warn time.</summary>
        public long WarnAt => Links.Max(l => l.WarnAt);
    }

    private sealed class LinkState
    {
        public LinkStatus Status { get; set; } = LinkStatus.Init;
        public long LastHeard { get; set; }
        public long DeadlineAt { get; set; }
        public long WarnAt { get; set; }
        public long Heartbeats { get; set; }
    }

    [LoggerMessage(EventId = 1110, EventName = "Tandem.Membership.NodeLeft", Level = LogLevel.Information, Message = "Node {Node} left the cluster cleanly")]
    private static partial void LogNodeLeft(ILogger logger, string node);

    [LoggerMessage(EventId = 1100, EventName = "Tandem.Membership.NodeDead", Level = LogLevel.Warning, Message = "Node {Node} is dead: {Reason}")]
    private static partial void LogNodeDead(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = 1101, EventName = "Tandem.Membership.NodeStatus", Level = LogLevel.Information, Message = "Node {Node} is {Status}: {Reason}")]
    private static partial void LogNodeStatus(ILogger logger, string node, NodeStatus status, string reason);

    [LoggerMessage(EventId = 1102, EventName = "Tandem.Membership.LateHeartbeat", Level = LogLevel.Warning, Message = "Late heartbeat: node {Node}: {IntervalMs} ms without one")]
    private static partial void LogLate(ILogger logger, string node, long intervalMs);

    [LoggerMessage(EventId = 1103, EventName = "Tandem.Membership.HeartbeatAfterLate", Level = LogLevel.Information, Message = "Heartbeat from {Node} after {IntervalMs} ms")]
    private static partial void LogHeartbeatAfterLate(ILogger logger, string node, long intervalMs);

    [LoggerMessage(EventId = 1104, EventName = "Tandem.Membership.SelfStall", Level = LogLevel.Warning,
        Message = "This node stalled: the failure detector ran {LateMs} ms late; peers get a grace period for the silence during the stall")]
    private static partial void LogStall(ILogger logger, long lateMs);
}
