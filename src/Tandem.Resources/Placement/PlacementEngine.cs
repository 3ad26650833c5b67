using System.Globalization;
using Tandem.Core.Membership;
using Tandem.Core.Model;
using Tandem.Resources.Groups;

namespace Tandem.Resources.Placement;

/// <summary>
/// The placement engine of one node of a two-node cluster (Heartbeat R1's resource manager, done
/// as a pure state machine): it takes one <see cref="PlacementInput"/> at a time and answers with
/// the <see cref="PlacementCommand"/>s to carry out. It does no I/O and reads time only from its
/// <see cref="TimeProvider"/>; the daemon runs its commands and feeds the results back.
/// </summary>
/// <remarks>
/// <para>
/// Each group has one <see cref="PlacementState"/>. The invariant that keeps a group from running
/// twice: only the group's holder starts it, and the holder changes only (1) when the peer
/// releases it after stopping it, (2) when the peer is gone and the takeover rule allows it
/// (fenced, left cleanly, or fencing disabled), or (3) at initial placement, when neither node
/// runs it: then its preferred node holds it, a rule both nodes evaluate alike. A group whose stop
/// failed is never started elsewhere unless its node is fenced: without fencing it is
/// <see cref="PlacementState.Blocked"/> until an operator acts.
/// </para>
/// <para>Not thread-safe: one owner calls <see cref="Handle"/>.</para>
/// </remarks>
public sealed partial class PlacementEngine
{
    private readonly PlacementSettings _settings;
    private readonly TimeProvider _time;
    private readonly List<GroupPlacement> _groups;
    private List<PlacementCommand> _out = [];
    private IReadOnlySet<string> _notUpToDate = new HashSet<string>(StringComparer.Ordinal);
    private MemberStatus _peerMembership = MemberStatus.Unknown;
    private ulong _peerGeneration;
    private ulong _deadGeneration;
    private bool _peerDead;
    private bool _peerKnown;
    private bool _peerLost;
    private bool _peerLeftCleanly;
    private bool _peerStable;
    private bool _stable;
    private bool _shuttingDown;
    private bool _failbackTimer;
    private PendingTakeover? _takeover;
    private int _epoch;
    private uint _nextRequestId;
    private byte[]? _lastState;

    /// <summary>Creates the engine; every group is <see cref="PlacementState.Undecided"/>.</summary>
    /// <param name="settings">This node, the peer, the groups and the rules' settings.</param>
    /// <param name="time">The clock (running-since times, a takeover's start).</param>
    public PlacementEngine(PlacementSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        _settings = settings;
        _time = time;
        _groups = [.. settings.Groups.Select((g, i) => new GroupPlacement(i, g, settings.Me))];
    }

    /// <summary>This node.</summary>
    public string Me => _settings.Me;

    /// <summary>The peer, or null when this node is alone.</summary>
    public string? Peer => _settings.Peer;

    /// <summary>The groups, in configuration order.</summary>
    public IReadOnlyList<GroupPlacement> Groups => _groups;

    /// <summary>True when the peer's state is known and it is not gone.</summary>
    public bool PeerUp => _peerKnown && !_peerLost;

    /// <summary>True when the peer is gone (dead, left, or its run vanished).</summary>
    public bool PeerLost => _peerLost;

    /// <summary>True when the peer left after releasing everything it ran.</summary>
    public bool PeerLeftCleanly => _peerLeftCleanly;

    /// <summary>True once the initial placement is decided.</summary>
    public bool Stable => _stable;

    /// <summary>True when the peer said it decided its initial placement.</summary>
    public bool PeerStable => _peerStable;

    /// <summary>True once this node shuts down.</summary>
    public bool ShuttingDown => _shuttingDown;

    /// <summary>The takeover that waits for the takeover rule, or null.</summary>
    public PendingTakeover? Takeover => _takeover;

    /// <summary>The group of that name, or null.</summary>
    /// <param name="name">The group's name.</param>
    /// <returns>The group.</returns>
    public GroupPlacement? Find(string name) => _groups.FirstOrDefault(g => g.Name == name);

    /// <summary>Who holds a group, as this node knows it.</summary>
    /// <param name="group">The group.</param>
    /// <returns>The holder.</returns>
    public GroupHolder HolderOf(GroupPlacement group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.HolderFor(Me);
    }

    /// <summary>Takes one input and decides.</summary>
    /// <param name="input">What happened.</param>
    /// <returns>What to do, in order.</returns>
    public IReadOnlyList<PlacementCommand> Handle(PlacementInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _out = [];
        switch (input)
        {
            case PlacementStarted:
                OnStarted();
                break;
            case MembershipChanged m:
                OnMembership(m.View);
                break;
            case PeerMessageReceived m:
                OnMessage(m);
                break;
            case GroupOperationEnded e:
                OnOperationEnded(e);
                break;
            case GroupRecoveryNeeded r:
                OnRecovery(r);
                break;
            case TakeoverAnswered a:
                OnTakeoverAnswered(a);
                break;
            case TimerFired t:
                OnTimer(t.Timer);
                break;
            case PeerVolumesObserved v:
                _notUpToDate = v.NotUpToDateOnPeer;
                if (_groups.Any(g => g.State == PlacementState.FailbackPending))
                {
                    RetryDeferredFailbacks();
                }
                break;
            case OperatorCommand c:
                Emit(new AnswerOperator(_shuttingDown ? Refused("this node is shutting down") : RunCommand(c.Kind, c.Set)));
                break;
            case OperatorConfirmedFenced c:
                Emit(new AnswerOperator(ConfirmFenced(c.Node)));
                break;
            case ShutdownStarted:
                _shuttingDown = true;
                if (_takeover is { } pending)
                {
                    Emit(new CancelTakeover(pending.Epoch));
                }
                break;
        }
        SendState(force: false);
        return _out;
    }

    /// <summary>
    /// Whether <c>tandem fence confirm NODE</c> is for this engine: a takeover from that node
    /// waits, or a group is blocked by a failed stop on that node and the node is gone.
    /// </summary>
    /// <param name="node">The node an operator says is off.</param>
    /// <returns>True when <see cref="OperatorConfirmedFenced"/> should be fed.</returns>
    public bool WaitsForConfirmation(string node) =>
        Peer is not null && string.Equals(node, Peer, StringComparison.OrdinalIgnoreCase)
        && (_takeover is not null || (!PeerUp && _groups.Any(IsBlockedOnPeer)));

    /// <summary>At shutdown, once no operation runs: the groups to stop here, in the order to stop them (the last group first).</summary>
    /// <returns>Their names.</returns>
    public IReadOnlyList<string> ShutdownStopOrder() => [.. _groups.Where(g => g.ActiveHere).Reverse().Select(g => g.Name)];

    /// <summary>
    /// At shutdown, after the stops: the Leaving message that tells the peer which groups were
    /// stopped here (it starts them at once) and which may still run here (their stop failed).
    /// </summary>
    /// <returns>The message.</returns>
    public PlacementMessage LeavingMessage() => new(PlacementMessageType.Leaving, 0, 0,
        [.. _groups.Select(g => new PlacementEntry(g.Name, (byte)(g.ActiveHere ? ReleaseCode.NotReleased : ReleaseCode.Leaving)))],
        $"{Me} is shutting down");

    /// <summary>Where each group is held, for events: "web on alpha, db on (undecided)".</summary>
    /// <returns>The text.</returns>
    public string Placement() => string.Join(", ", _groups.Select(g => $"{g.Name} on {HolderOf(g) switch
    {
        GroupHolder.Me => Me,
        GroupHolder.Peer => Peer,
        _ => "(undecided)",
    }}"));

    private void OnStarted()
    {
        if (Peer is null)
        {
            _stable = true;
            foreach (var g in _groups)
            {
                StartHere(g, $"{Me} is the only node of the cluster");
            }
            return;
        }
        SendState(force: true);
    }

    private void OnMembership(MembershipView view)
    {
        if (Peer is null || view.Find(Peer) is not { } peer)
        {
            return;
        }
        var before = _peerMembership;
        _peerMembership = peer.Status;
        switch (peer.Status)
        {
            case MemberStatus.Dead when before != MemberStatus.Dead:
                // From here on, what the dead run sends (retransmitted or late) was sent before
                // its death: its death already decides what becomes of its groups.
                _peerDead = true;
                _deadGeneration = Math.Max(peer.Generation, _peerGeneration);
                PeerGone($"{Peer} is dead: {peer.Reason}", cancelOnReturn: true);
                break;
            case MemberStatus.Left when before != MemberStatus.Left && _peerLeftCleanly:
                _peerLost = true;
                _peerKnown = false;
                break;
            case MemberStatus.Left when before != MemberStatus.Left:
                // Its Leaving message normally arrives first; give a slow one a moment before fencing.
                Emit(new ScheduleTimer(new PlacementTimer.LeftGrace(_peerGeneration), _settings.LeftGrace));
                break;
            case MemberStatus.Up or MemberStatus.Active when before is MemberStatus.Dead or MemberStatus.Left:
                _peerDead = false;
                // What it sent while it was dead to us was dropped: ask it for its state again.
                SendState(force: true, wanted: true);
                break;
            case MemberStatus.Up or MemberStatus.Active when peer.Change == MemberChange.Restarted:
                SendState(force: true);
                break;
        }
    }

    private void OnTimer(PlacementTimer timer)
    {
        switch (timer)
        {
            case PlacementTimer.TakeoverRetry r when _takeover?.Epoch == r.Epoch && !_shuttingDown:
                Authorize(_takeover);
                break;
            case PlacementTimer.LeftGrace c when c.Generation == _peerGeneration && !_peerLeftCleanly && !_peerLost:
                PeerGone($"{Peer} stopped without saying which groups it released", cancelOnReturn: true);
                break;
            case PlacementTimer.FailbackRecheck:
                _failbackTimer = false;
                RetryDeferredFailbacks();
                break;
        }
    }

    private void Emit(PlacementCommand command) => _out.Add(command);

    private void Event(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null) =>
        Emit(new PublishEvent(kind, subject, reason, data));

    private void Send(PlacementMessage message)
    {
        if (Peer is not null)
        {
            Emit(new SendToPeer(message));
        }
    }

    /// <summary>Sends this node's state to the peer when it changed (or always, when forced).</summary>
    private void SendState(bool force, bool wanted = false)
    {
        if (Peer is null)
        {
            return;
        }
        var flags = (byte)((_stable ? PlacementMessage.FlagStable : 0) | (wanted ? PlacementMessage.FlagStateWanted : 0));
        var message = new PlacementMessage(PlacementMessageType.State, 0, flags,
            [.. _groups.Select(g => new PlacementEntry(g.Name, (byte)g.Reported))], $"{Me} state");
        var bytes = message.Format();
        if (!force && _lastState is not null && bytes.AsSpan().SequenceEqual(_lastState))
        {
            return;
        }
        _lastState = bytes;
        Emit(new SendToPeer(message));
    }

    private Dictionary<string, string> Data(GroupPlacement g, params (string Key, string Value)[] more)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal) { ["group"] = g.Name, ["node"] = Me };
        foreach (var (k, v) in more)
        {
            data[k] = v;
        }
        return data;
    }

    private bool IsBlockedOnPeer(GroupPlacement g) => g.State == PlacementState.Blocked && !g.BlockedHere;

    private static bool IsActive(GroupState state) => state is not (GroupState.Stopped or GroupState.Failed);

    private static PlacementOutcome Refused(string why) => new(false, [], why);

    private static string Count(int n, string what) => string.Create(CultureInfo.InvariantCulture, $"{n} {what}{(n == 1 ? "" : "s")}");

    private static string Mode(FailbackMode mode) => mode switch
    {
        FailbackMode.On => "on",
        FailbackMode.Off => "off",
        _ => "legacy",
    };
}
