using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Membership;
using Tandem.Core.Model;
using Tandem.Resources.Groups;
using Tandem.Resources.Placement;
using Xunit;

namespace Tandem.Resources.Tests.Placement;

/// <summary>What fencing does in an <see cref="EngineCluster"/>.</summary>
internal enum FencePolicy
{
    /// <summary>The configuration runs without fencing: every takeover is allowed, with a warning.</summary>
    Disabled,

    /// <summary>A fence succeeds: the fenced node is powered off (everything it ran stops).</summary>
    Succeeds,

    /// <summary>Every fence fails.</summary>
    Fails,
}

/// <summary>
/// Placement engines of two or three nodes in one process, on one <see cref="FakeTimeProvider"/>:
/// an in-memory cluster channel (ordered, can be cut), group operations that end with scripted
/// outcomes, fencing by policy, membership views made by the test. It records what actually runs
/// on each node, so that a test can assert that a group never ran on two nodes at once.
/// </summary>
internal sealed class EngineCluster
{
    private readonly Dictionary<string, SimNode> _nodes = new(StringComparer.Ordinal);
    private readonly List<(string From, ulong Generation, string To, byte[] Payload)> _network = [];
    private readonly HashSet<string> _cut = [];
    private readonly Dictionary<string, int> _maxRunning = new(StringComparer.Ordinal);

    public EngineCluster(IReadOnlyList<string> nodes, IReadOnlyList<GroupSpec> groups, FailbackMode failback = FailbackMode.Legacy, FencePolicy fencing = FencePolicy.Succeeds)
    {
        Groups = groups;
        Failback = failback;
        Fencing = fencing;
        NodeNames = nodes;
        foreach (var n in nodes)
        {
            _nodes[n] = new SimNode(n);
        }
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

    public IReadOnlyList<GroupSpec> Groups { get; }

    public IReadOnlyList<string> NodeNames { get; }

    public FailbackMode Failback { get; }

    public FencePolicy Fencing { get; set; }

    /// <summary>The peer each node's engine is configured with: the other node of the pair (the first two nodes; a third node pairs with the first).</summary>
    public Func<string, string?> PeerOf { get; set; } = _ => null;

    public SimNode this[string node] => _nodes[node];

    /// <summary>Every node's events, for a failure message.</summary>
    public string Trace() => string.Join("\n", _nodes.Values.Select(n => n.Trace()).Where(t => t.Length > 0));

    /// <summary>Asserts where the group's resources run now, and names what happened when they do not.</summary>
    public void AssertRunsOn(string group, params string[] nodes)
    {
        var actual = RunningOn(group);
        Assert.True(actual.SequenceEqual(nodes), $"{group} runs on [{string.Join(", ", actual)}], expected [{string.Join(", ", nodes)}]; events:\n{Trace()}");
    }

    /// <summary>Asserts that the group never ran on two nodes at once.</summary>
    public void AssertNeverTwice(string group) =>
        Assert.True(MaxRunning(group) <= 1, $"{group} ran on {MaxRunning(group)} nodes at once; events:\n{Trace()}");

    /// <summary>The most nodes a group ever ran on at once (resources actually up, stuck ones included).</summary>
    public int MaxRunning(string group) => _maxRunning.GetValueOrDefault(group);

    /// <summary>The nodes where the group's resources run now.</summary>
    public IReadOnlyList<string> RunningOn(string group) => [.. _nodes.Values.Where(n => n.Running.Contains(group)).Select(n => n.Name)];

    public static GroupSpec Group(string name, string preferred, params string[] volumes) =>
        new(name, preferred, [.. volumes.Select(v => new ResourceSpec("drbddisk", "drbddisk") { Class = AgentClass.BuiltIn, Arguments = [v] })]);

    /// <summary>Two nodes, alpha and beta.</summary>
    public static EngineCluster Pair(FailbackMode failback = FailbackMode.Legacy, FencePolicy fencing = FencePolicy.Succeeds, IReadOnlyList<GroupSpec>? groups = null)
    {
        var cluster = new EngineCluster(["alpha", "beta"], groups ?? [Group("web", "alpha")], failback, fencing);
        cluster.PeerOf = n => n == "alpha" ? "beta" : "alpha";
        return cluster;
    }

    /// <summary>Starts a node's daemon (a new run: a higher generation) and tells it that its peer is heard, when it runs.</summary>
    public void Start(string node)
    {
        var n = Boot(node);
        foreach (var other in _nodes.Values.Where(o => o != n && o.Alive))
        {
            SeeUp(node, other.Name);
            SeeUp(other.Name, node);
        }
        Run();
    }

    /// <summary>Starts nodes together: each sees the others before any message moves.</summary>
    public void StartTogether(params string[] nodes)
    {
        foreach (var node in nodes)
        {
            Boot(node);
        }
        foreach (var a in nodes)
        {
            foreach (var b in nodes.Where(b => b != a))
            {
                SeeUp(a, b);
            }
        }
        Run();
    }

    /// <summary>A new run of the node's daemon: a higher generation, a fresh engine that announces itself.</summary>
    private SimNode Boot(string node)
    {
        var n = _nodes[node];
        n.Generation++;
        n.Alive = true;
        n.Engine = new PlacementEngine(new PlacementSettings(node, PeerOf(node), Groups, Failback, Fencing != FencePolicy.Disabled), Time);
        n.View = new Dictionary<string, MemberView>(StringComparer.Ordinal);
        n.Feed(new PlacementStarted(), this);
        return n;
    }

    /// <summary><paramref name="observer"/>'s membership sees <paramref name="peer"/> up (first heard, back, or a new run).</summary>
    public void SeeUp(string observer, string peer)
    {
        var o = _nodes[observer];
        var p = _nodes[peer];
        var before = o.View.GetValueOrDefault(peer);
        var change = before is null || before.Status == MemberStatus.Unknown ? MemberChange.Joined
            : before.Generation != p.Generation ? MemberChange.Restarted
            : before.Status is MemberStatus.Dead or MemberStatus.Left ? MemberChange.Returned : MemberChange.None;
        See(observer, new MemberView(peer, MemberStatus.Active, p.Generation, change, "heard"));
    }

    /// <summary><paramref name="observer"/>'s membership declares <paramref name="peer"/> dead.</summary>
    public void SeeDead(string observer, string peer, string reason = "every link silent for deadtime") =>
        See(observer, new MemberView(peer, MemberStatus.Dead, _nodes[peer].Generation, MemberChange.Died, reason));

    public void See(string observer, MemberView member)
    {
        var o = _nodes[observer];
        if (!o.Alive)
        {
            return;
        }
        o.View[member.Node] = member;
        o.ViewVersion++;
        o.Feed(new MembershipChanged(new MembershipView(o.ViewVersion, [.. o.View.Values])), this);
    }

    /// <summary>The daemon of a node dies (SIGKILL): what it started keeps running unless <paramref name="powerOff"/>; its unsent messages are lost.</summary>
    public void Crash(string node, bool powerOff = false, bool keepInFlight = false)
    {
        var n = _nodes[node];
        n.Alive = false;
        n.Engine = null;
        n.Operations.Clear();
        n.Authorizations.Clear();
        n.Timers.Clear();
        if (powerOff)
        {
            n.Running.Clear();
        }
        if (!keepInFlight)
        {
            _network.RemoveAll(m => m.From == node);
        }
    }

    /// <summary>A clean stop of a node's daemon, as ResourceSubsystem.StopAsync does it, then membership sees it leave.</summary>
    public void Shutdown(string node)
    {
        var n = _nodes[node];
        n.Feed(new ShutdownStarted(), this);
        while (n.Operations.Count > 0)
        {
            CompleteOperation(n, n.Operations[0]);
        }
        foreach (var group in n.Engine!.ShutdownStopOrder())
        {
            var outcome = n.NextOutcome(group, GroupOperation.Stop);
            if (outcome == GroupOutcome.Stopped)
            {
                n.Running.Remove(group);
            }
            n.Feed(new GroupOperationEnded(group, GroupOperation.Stop, new GroupResult(group, outcome, outcome.ToString())), this);
        }
        if (n.Engine.PeerUp && PeerOf(node) is { } peer)
        {
            _network.Add((node, n.Generation, peer, n.Engine.LeavingMessage().Format()));
        }
        var generation = n.Generation;
        Crash(node, keepInFlight: true);
        foreach (var other in _nodes.Values.Where(o => o.Alive))
        {
            // The Leaving message travels first; the leave announcement follows.
            DeliverAll();
            See(other.Name, new MemberView(node, MemberStatus.Left, generation, MemberChange.Left, "announced its shutdown"));
        }
        Run();
    }

    /// <summary>Cuts (or heals) the channel between two nodes both ways; messages sent meanwhile are lost.</summary>
    public void Cut(string a, string b, bool cut = true)
    {
        if (cut)
        {
            _cut.Add(a + "|" + b);
            _cut.Add(b + "|" + a);
        }
        else
        {
            _cut.Remove(a + "|" + b);
            _cut.Remove(b + "|" + a);
        }
    }

    internal void Send(SimNode from, PlacementMessage message)
    {
        if (PeerOf(from.Name) is not { } to || _cut.Contains(from.Name + "|" + to))
        {
            return;
        }
        _network.Add((from.Name, from.Generation, to, message.Format()));
    }

    /// <summary>Sends raw placement bytes as <paramref name="from"/> to <paramref name="to"/> (a third node, or a late message).</summary>
    public void Inject(string from, string to, PlacementMessage message, ulong? generation = null) =>
        _network.Add((from, generation ?? _nodes[from].Generation, to, message.Format()));

    /// <summary>Delivers every message in flight, in order, until none is left.</summary>
    public void DeliverAll()
    {
        while (_network.Count > 0)
        {
            var (from, generation, to, payload) = _network[0];
            _network.RemoveAt(0);
            var target = _nodes[to];
            if (target.Alive)
            {
                target.Feed(new PeerMessageReceived(from, generation, payload), this);
            }
        }
    }

    /// <summary>Runs the cluster until nothing is in flight: messages, group operations, fencing answers (timers wait for <see cref="Advance"/>).</summary>
    public void Run()
    {
        for (var round = 0; round < 1000; round++)
        {
            if (_network.Count > 0)
            {
                DeliverAll();
                continue;
            }
            if (_nodes.Values.FirstOrDefault(n => n.Alive && n.Authorizations.Count > 0) is { } fencing)
            {
                var a = fencing.Authorizations[0];
                fencing.Authorizations.RemoveAt(0);
                Authorize(fencing, a);
                continue;
            }
            if (_nodes.Values.FirstOrDefault(n => n.Alive && n.Operations.Count > 0) is { } busy)
            {
                CompleteOperation(busy, busy.Operations[0]);
                continue;
            }
            return;
        }
        Assert.Fail("the cluster did not settle within 1000 steps (a loop between the engines?)");
    }

    /// <summary>Advances the fake clock, firing the engines' timers that fall due, and runs the cluster after each.</summary>
    public void Advance(TimeSpan by)
    {
        var end = Time.GetUtcNow() + by;
        while (true)
        {
            var due = _nodes.Values.Where(n => n.Alive).SelectMany(n => n.Timers.Select(t => (Node: n, Timer: t)))
                .Where(x => x.Timer.Due <= end).OrderBy(x => x.Timer.Due).FirstOrDefault();
            if (due.Node is null)
            {
                break;
            }
            if (due.Timer.Due > Time.GetUtcNow())
            {
                Time.SetUtcNow(due.Timer.Due);
            }
            due.Node.Timers.Remove(due.Timer);
            due.Node.Feed(new TimerFired(due.Timer.Timer), this);
            Run();
        }
        Time.SetUtcNow(end);
    }

    /// <summary>An operator's command on a node; returns the engine's answer.</summary>
    public PlacementOutcome Operator(string node, OperatorCommandKind kind, GroupSet set = GroupSet.All)
    {
        var n = _nodes[node];
        n.Feed(new OperatorCommand(kind, set), this);
        var answer = n.LastAnswer!;
        Run();
        return answer;
    }

    /// <summary><c>tandem fence confirm</c> on a node.</summary>
    public PlacementOutcome Confirm(string node, string off)
    {
        var n = _nodes[node];
        Assert.True(n.Engine!.WaitsForConfirmation(off), $"{node} does not wait for a confirmation that {off} is off");
        n.Feed(new OperatorConfirmedFenced(off), this);
        var answer = n.LastAnswer!;
        Run();
        return answer;
    }

    private void CompleteOperation(SimNode n, (string Group, GroupOperation Operation) op)
    {
        n.Operations.Remove(op);
        var outcome = n.NextOutcome(op.Group, op.Operation);
        switch (outcome)
        {
            case GroupOutcome.Started:
                n.Running.Add(op.Group);
                break;
            case GroupOutcome.Stopped or GroupOutcome.StartFailed:
                n.Running.Remove(op.Group);
                break;
            case GroupOutcome.StopFailedNeedsFencing:
                n.Running.Add(op.Group); // something of it is stuck running here
                break;
        }
        Track();
        n.Feed(new GroupOperationEnded(op.Group, op.Operation, new GroupResult(op.Group, outcome, $"scripted {outcome}")), this);
    }

    /// <summary>A resource's monitor on <paramref name="node"/> gives up in place (the runner already stopped the group, or its stop failed).</summary>
    public void MonitorGivesUp(string node, string group, GroupOutcome outcome)
    {
        var n = _nodes[node];
        if (outcome == GroupOutcome.MoveRequired)
        {
            n.Running.Remove(group);
        }
        n.Feed(new GroupRecoveryNeeded(group, new GroupResult(group, outcome, "monitor failed beyond the restart limit")), this);
        Run();
    }

    private void Authorize(SimNode n, AuthorizeTakeover a)
    {
        switch (Fencing)
        {
            case FencePolicy.Disabled:
                n.Fenced.Add(a.Peer + ":disabled");
                n.Feed(new TakeoverAnswered(a.Epoch, true, "FencingDisabled", "WITHOUT FENCING (fencing is disabled in the configuration)"), this);
                break;
            case FencePolicy.Succeeds:
                // The fence device powers the peer off: everything it ran stops, its daemon is gone.
                n.Fenced.Add(a.Peer);
                var peer = _nodes[a.Peer];
                if (peer.Alive)
                {
                    Crash(a.Peer, powerOff: true);
                    SeeDead(n.Name, a.Peer, "fenced");
                }
                peer.Running.Clear();
                n.Feed(new TakeoverAnswered(a.Epoch, true, "Fenced", $"{a.Peer} was fenced (power off)"), this);
                break;
            default:
                n.FenceFailures++;
                n.Feed(new TakeoverAnswered(a.Epoch, false, "FenceFailed", "every fence device failed"), this);
                break;
        }
    }

    internal void Track()
    {
        foreach (var g in Groups)
        {
            _maxRunning[g.Name] = Math.Max(_maxRunning.GetValueOrDefault(g.Name), RunningOn(g.Name).Count);
        }
    }

    internal void Deliver(SimNode n, IReadOnlyList<PlacementCommand> commands)
    {
        foreach (var c in commands)
        {
            n.Commands.Add(c);
            switch (c)
            {
                case StartGroup s:
                    n.Operations.Add((s.Group, GroupOperation.Start));
                    break;
                case StopGroup s:
                    n.Operations.Add((s.Group, GroupOperation.Stop));
                    break;
                case SendToPeer m:
                    Send(n, m.Message);
                    break;
                case AuthorizeTakeover a:
                    n.Authorizations.Add(a);
                    break;
                case CancelTakeover x:
                    n.Authorizations.RemoveAll(a => a.Epoch == x.Epoch);
                    n.Timers.RemoveAll(t => t.Timer is PlacementTimer.TakeoverRetry r && r.Epoch == x.Epoch);
                    break;
                case PublishEvent e:
                    n.Events.Add(e);
                    break;
                case ScheduleTimer t:
                    n.Timers.Add((Time.GetUtcNow() + t.Due, t.Timer));
                    break;
                case AnswerOperator a:
                    n.LastAnswer = a.Outcome;
                    break;
            }
        }
    }
}

/// <summary>One node of an <see cref="EngineCluster"/>: its engine, and what really runs there.</summary>
internal sealed class SimNode(string name)
{
    public string Name { get; } = name;

    public PlacementEngine? Engine { get; set; }

    public ulong Generation { get; set; }

    public bool Alive { get; set; }

    public Dictionary<string, MemberView> View { get; set; } = new(StringComparer.Ordinal);

    public long ViewVersion { get; set; }

    /// <summary>The groups whose resources run here (the truth, not the engine's belief).</summary>
    public HashSet<string> Running { get; } = new(StringComparer.Ordinal);

    public List<(string Group, GroupOperation Operation)> Operations { get; } = [];

    public List<AuthorizeTakeover> Authorizations { get; } = [];

    public List<(DateTimeOffset Due, PlacementTimer Timer)> Timers { get; } = [];

    public List<PublishEvent> Events { get; } = [];

    public List<PlacementCommand> Commands { get; } = [];

    public List<string> Fenced { get; } = [];

    public int FenceFailures { get; set; }

    public PlacementOutcome? LastAnswer { get; set; }

    /// <summary>Scripted outcomes per (group, operation), used in order; success when none is left.</summary>
    public Dictionary<(string, GroupOperation), Queue<GroupOutcome>> Script { get; } = [];

    public void Will(string group, GroupOperation operation, params GroupOutcome[] outcomes)
    {
        if (!Script.TryGetValue((group, operation), out var q))
        {
            Script[(group, operation)] = q = new Queue<GroupOutcome>();
        }
        foreach (var o in outcomes)
        {
            q.Enqueue(o);
        }
    }

    public GroupOutcome NextOutcome(string group, GroupOperation operation) =>
        Script.TryGetValue((group, operation), out var q) && q.Count > 0 ? q.Dequeue()
            : operation == GroupOperation.Start ? GroupOutcome.Started : GroupOutcome.Stopped;

    public void Feed(PlacementInput input, EngineCluster cluster)
    {
        if (Engine is null)
        {
            return;
        }
        cluster.Deliver(this, Engine.Handle(input));
    }

    public GroupPlacement Group(string name) => Engine!.Find(name)!;

    public IEnumerable<PublishEvent> EventsOf(string kind) => Events.Where(e => e.Kind == kind);

    public string Trace() => string.Join("\n", Events.Select(e => $"{Name}: {e.Kind} {e.Subject}: {e.Reason}"));
}
