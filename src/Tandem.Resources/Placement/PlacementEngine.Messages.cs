using System.Globalization;
using Tandem.Core.Model;
using Tandem.Resources.Groups;

namespace Tandem.Resources.Placement;

public sealed partial class PlacementEngine
{
    private void OnMessage(PeerMessageReceived m)
    {
        if (Peer is null || !string.Equals(m.From, Peer, StringComparison.OrdinalIgnoreCase) || m.Generation < _peerGeneration)
        {
            return; // not our peer, or an earlier run of it
        }
        if (_peerDead && m.Generation <= _deadGeneration)
        {
            // Sent by the run membership declared dead, before its death (a late or retransmitted
            // message): its death already decided what becomes of its groups, so it must not take
            // them over a second time, or cancel a takeover that fencing made safe.
            return;
        }
        PlacementMessage message;
        try
        {
            message = PlacementMessage.Parse(m.Payload.Span);
        }
        catch (PlacementProtocolException e)
        {
            Emit(new LogBadMessage(m.From, e.Message));
            Event("resources.bad-message", m.From, $"ignored a placement message from {m.From}: {e.Message}");
            return;
        }
        if (m.Generation > _peerGeneration)
        {
            OnNewIncarnation(m.Generation);
        }
        switch (message.Type)
        {
            case PlacementMessageType.State:
                OnState(message);
                break;
            case PlacementMessageType.Request:
                OnRequest(message);
                break;
            case PlacementMessageType.Released:
                OnReleased(message);
                break;
            case PlacementMessageType.Leaving:
                OnLeaving(message);
                break;
            case PlacementMessageType.StopFailed:
                OnPeerStopFailed(message);
                break;
        }
    }

    /// <summary>Rule "a new run of the peer": what its earlier run held is gone from its view; what it ran without releasing may still run there.</summary>
    private void OnNewIncarnation(ulong generation)
    {
        var old = _peerGeneration;
        _peerGeneration = generation;
        _peerKnown = false;
        _peerStable = false;
        _peerLeftCleanly = false;
        var pending = _takeover?.Groups;
        var held = _groups.Where(g => HolderOf(g) == GroupHolder.Peer && !(pending?.Contains(g.Name) ?? false)).ToList();
        var stillThere = held.Where(g => g.PeerState is { } st && IsActive(st)).ToList();
        if (old != 0 && !_peerLost && stillThere.Count > 0)
        {
            // The earlier run vanished without releasing: the daemon died, but what its agents
            // started (addresses, mounts, daemons) may well still run there. Only fencing tells.
            _peerLost = true;
            BeginTakeover(stillThere,
                $"{Peer} restarted (run {old} -> {generation}) without releasing {string.Join(", ", held.Select(g => g.Name))}; what it ran may still run there",
                cancelOnReturn: false);
        }
        foreach (var g in _groups)
        {
            if (g.State == PlacementState.Peer)
            {
                g.ToUndecided();
            }
            g.PeerState = null;
            g.PeerFailed = false;
        }
        _peerLost = false;
        SendState(force: true);
    }

    private void OnState(PlacementMessage message)
    {
        var joined = !_peerKnown;
        _peerKnown = true;
        _peerStable = (message.Flags & PlacementMessage.FlagStable) != 0;
        if (_peerLost)
        {
            _peerLost = false;
            Event("resources.peer-back", Peer!, $"{Peer} is reachable again (same run): it was cut off, not dead");
            SendState(force: true);
        }
        // The same run is back (it was cut off), or a peer never heard before shows up: what it
        // runs, it now says itself.
        if (_takeover is { CancelOnReturn: true } t && (t.Generation == _peerGeneration || t.Generation == 0))
        {
            CancelPendingTakeover($"{Peer} is back (same run): it was cut off, not dead; its groups stay where they are");
        }
        foreach (var entry in message.Entries)
        {
            if (Find(entry.Group) is not { } g || !Enum.IsDefined((GroupState)entry.Code))
            {
                continue;
            }
            var state = (GroupState)entry.Code;
            g.PeerState = state;
            if (state == GroupState.Failed)
            {
                g.PeerFailed = true;
            }
            if (IsActive(state))
            {
                OnPeerRuns(g, state);
            }
            else if (g.State == PlacementState.Undecided)
            {
                PlaceInitially(g);
            }
        }
        // Groups the peer did not list (its configuration lacks them) are placed as if it ran none of them.
        foreach (var g in _groups.Where(g => g.State == PlacementState.Undecided && !message.Entries.Any(e => e.Group == g.Name)))
        {
            PlaceInitially(g);
        }
        if (!_stable)
        {
            _stable = true;
            Event("resources.stable", Me, $"initial placement decided with {Peer}: " + Placement());
        }
        if (joined)
        {
            AutoFailback();
            Event("resources.peer-joined", Peer!,
                $"{Peer} (run {_peerGeneration.ToString(CultureInfo.InvariantCulture)}) sent its state; auto_failback {Mode(_settings.AutoFailback)}: " + Placement());
        }
        if ((message.Flags & PlacementMessage.FlagStateWanted) != 0)
        {
            SendState(force: true);
        }
    }

    /// <summary>The peer reports the group active (starting, running, stopping, or its stop failed).</summary>
    private void OnPeerRuns(GroupPlacement g, GroupState state)
    {
        // A copy whose stop failed is why a takeover fences the peer: its report (which may
        // arrive after the stop-failed message) is no adoption to cancel for.
        if (state != GroupState.StopFailed && _takeover is { } pending && pending.MutableGroups.Remove(g.Name))
        {
            // The peer's new run adopted what its earlier run left: nothing to fence for it.
            g.ToPeer();
            if (pending.Groups.Count == 0)
            {
                CancelPendingTakeover($"{Peer} runs {g.Name} again itself; nothing is left to take over");
            }
            return;
        }
        if (IsBlockedOnPeer(g))
        {
            // It runs there, stopped cleanly or not: the block ends only when it runs there for
            // sure (a successful start), or when an operator acts.
            if (state != GroupState.StopFailed)
            {
                g.ToPeer();
            }
            return;
        }
        // Rule "dual-active": a copy whose stop failed is not a running duplicate to arbitrate (that
        // node is being fenced), nor is one that is being stopped.
        if (g.State is PlacementState.Running or PlacementState.FailbackPending && state is not (GroupState.StopFailed or GroupState.Stopping))
        {
            DualActive(g);
        }
        else if (!g.ActiveHere && g.State != PlacementState.AwaitingTakeover)
        {
            g.ToPeer();
        }
    }

    /// <summary>Rule "initial placement": neither node runs the group, so its preferred node holds it. Both nodes apply it alike.</summary>
    private void PlaceInitially(GroupPlacement g)
    {
        if (g.ActiveHere)
        {
            return;
        }
        if (!g.PreferredHere)
        {
            g.ToPeer();
        }
        else if (g.FailedHere)
        {
            g.ToFailed(g.Waiting ?? $"failed here; fix it, then run 'tandem takeover'");
        }
        else
        {
            StartHere(g, $"{Me} is {g.Name}'s preferred node and {Peer} does not run it");
        }
    }

    /// <summary>What auto_failback does when the peer (re)joins, as heartbeat-pacemaker.md §3.5 describes.</summary>
    private void AutoFailback()
    {
        switch (_settings.AutoFailback)
        {
            case FailbackMode.On:
                // Rule "auto_failback on": whoever holds foreign groups gives them back.
                foreach (var g in _groups.Where(g => g.State is PlacementState.Running or PlacementState.Starting && !g.PreferredHere))
                {
                    if (g.Volumes.Where(_notUpToDate.Contains).ToList() is { Count: > 0 } waiting)
                    {
                        // Rule "deferred failback": handing the group over now would stop the service
                        // here only for its start on the peer to wait for (or fail on) the resync.
                        var why = $"auto_failback on: {g.Name} goes back to {Peer} once its copy of {string.Join(", ", waiting)} is UpToDate";
                        if (g.State == PlacementState.Running)
                        {
                            g.ToFailbackPending(why);
                            Event("group.failback-deferred", g.Name, why);
                            ScheduleFailbackRecheck();
                            continue;
                        }
                    }
                    Event("group.failback", g.Name, $"auto_failback on: {Peer}, {g.Name}'s preferred node, has joined; handing it back");
                    StopHere(g, new StopPlan(AfterStop.Release, $"auto_failback on: giving {g.Name} back to {Peer}"));
                }
                break;
            case FailbackMode.Legacy:
                // Rule "auto_failback legacy" (Heartbeat's req_resource): the preferred node asks for its groups when it joins.
                var wanted = _groups.Where(g => g.State == PlacementState.Peer && g.PreferredHere && g.PeerState is { } st && IsActive(st)).ToList();
                if (wanted.Count > 0)
                {
                    foreach (var g in wanted)
                    {
                        Event("group.failback", g.Name, $"auto_failback legacy: asking {Peer} for {g.Name}, whose preferred node is {Me}");
                    }
                    Request(wanted, "auto_failback legacy: the preferred node takes its groups back");
                }
                break;
            case FailbackMode.Off:
                // Rule "auto_failback off": groups stay where they run.
                break;
        }
    }

    private void ScheduleFailbackRecheck()
    {
        if (_failbackTimer)
        {
            return;
        }
        _failbackTimer = true;
        Emit(new ScheduleTimer(new PlacementTimer.FailbackRecheck(), _settings.FailbackRecheck));
    }

    /// <summary>Hands back the deferred groups whose volumes the peer now holds UpToDate.</summary>
    private void RetryDeferredFailbacks()
    {
        foreach (var g in _groups.Where(g => g.State == PlacementState.FailbackPending))
        {
            if (_peerLost || _shuttingDown || !PeerUp)
            {
                g.BackToRunning(); // the peer went away again: the deferred failback is dropped
                continue;
            }
            if (g.Volumes.Any(_notUpToDate.Contains))
            {
                ScheduleFailbackRecheck();
                continue;
            }
            Event("group.failback", g.Name, $"auto_failback on: {Peer}'s copies of {g.Name}'s volumes are UpToDate; handing it back");
            StopHere(g, new StopPlan(AfterStop.Release, $"auto_failback on: giving {g.Name} back to {Peer}"));
        }
    }

    /// <summary>
    /// Rule "dual-active": the group runs on both nodes (only possible after a partition with
    /// fencing disabled). It stays on its preferred node and stops on the other. Both nodes apply
    /// it alike, so exactly one stops it, and the cluster itself keeps running.
    /// </summary>
    private void DualActive(GroupPlacement g)
    {
        if (g.PreferredHere)
        {
            Event("group.dual-active", g.Name,
                $"{g.Name} runs on both {Me} and {Peer} (a partition without fencing); it stays on {Me}, its preferred node, and stops on {Peer}",
                Data(g, ("kept", Me), ("stopped", Peer!)));
            // The peer may not have heard that it runs here too: tell it, so that it stops its copy.
            SendState(force: true);
            return;
        }
        Event("group.dual-active", g.Name,
            $"{g.Name} runs on both {Me} and {Peer} (a partition without fencing); it stays on {Peer}, its preferred node, and stops here",
            Data(g, ("kept", Peer!), ("stopped", Me)));
        StopHere(g, new StopPlan(AfterStop.YieldToPeer, $"{g.Name} also runs on {Peer}, its preferred node"));
    }

    private void OnRequest(PlacementMessage message)
    {
        var releasedNow = new List<PlacementEntry>();
        foreach (var entry in message.Entries)
        {
            if (Find(entry.Group) is not { } g)
            {
                continue;
            }
            var release = new StopPlan(AfterStop.Release, $"{Peer} asked for it: {message.Reason}", ReleaseCode.Handover, message.Id);
            if (g.Busy)
            {
                if (g.Plan?.After != AfterStop.Release)
                {
                    g.Replan(release); // a start or another stop runs: release it once that ends
                }
            }
            else if (g.ActiveHere)
            {
                // Also a copy whose stop failed here: an operator on the peer wants it, so the stop is tried again.
                StopHere(g, release);
            }
            else if (g.State != PlacementState.AwaitingTakeover)
            {
                // Not running here: it can go at once.
                g.ToPeer();
                releasedNow.Add(new PlacementEntry(g.Name, (byte)ReleaseCode.Handover));
            }
        }
        if (releasedNow.Count > 0)
        {
            Send(new PlacementMessage(PlacementMessageType.Released, message.Id, 0, releasedNow, $"{Me} does not run it"));
        }
    }

    private void OnReleased(PlacementMessage message)
    {
        foreach (var entry in message.Entries)
        {
            if (Find(entry.Group) is not { } g)
            {
                continue;
            }
            var code = (ReleaseCode)entry.Code;
            var failedThere = code is ReleaseCode.StartFailed or ReleaseCode.MonitorFailed;
            g.PeerState = GroupState.Stopped;
            g.PeerFailed = failedThere;
            if (_shuttingDown)
            {
                if (!g.ActiveHere)
                {
                    g.ToStopped(); // the Leaving message hands it straight back
                }
                continue;
            }
            if (failedThere && g.FailedHere)
            {
                // Rule "failed on both nodes": no bouncing between two nodes where it cannot start.
                g.ToFailed($"failed on both nodes ({message.Reason}); fix it, then run 'tandem takeover' on the node that should run it");
                Event("group.unrunnable", g.Name, $"{g.Name} failed on {Peer} too ({message.Reason}); it stays down until an operator acts", Data(g));
                continue;
            }
            StartHere(g, $"{Peer} released it: {message.Reason}");
        }
    }

    /// <summary>Rule "clean departure": the groups the leaving peer stopped start here at once, without fencing.</summary>
    private void OnLeaving(PlacementMessage message)
    {
        var released = new List<GroupPlacement>();
        var stuck = new List<GroupPlacement>();
        foreach (var entry in message.Entries)
        {
            if (Find(entry.Group) is not { } g)
            {
                continue;
            }
            ((ReleaseCode)entry.Code == ReleaseCode.NotReleased ? stuck : released).Add(g);
        }
        _peerLeftCleanly = stuck.Count == 0;
        _peerKnown = false;
        _peerLost = true;
        if (released.Count > 0)
        {
            Emit(new AnnounceCleanDeparture(Peer!));
        }
        foreach (var g in released)
        {
            g.PeerState = GroupState.Stopped;
            if (g.ActiveHere)
            {
                continue;
            }
            if (g.FailedHere)
            {
                g.ToFailed($"failed here; {Peer} left: fix it, then run 'tandem takeover'");
            }
            else if (_shuttingDown)
            {
                g.ToStopped();
            }
            else
            {
                StartHere(g, $"{Peer} is shutting down and released it");
            }
        }
        foreach (var g in stuck)
        {
            g.PeerState = GroupState.StopFailed;
        }
        if (stuck.Count > 0)
        {
            BeginTakeover(stuck, $"{Peer} left without being able to stop {string.Join(", ", stuck.Select(g => g.Name))}", cancelOnReturn: false);
        }
    }

    /// <summary>Rule "failed stop → fence" on the peer's side: fence the peer, then take over; without fencing the group is blocked.</summary>
    private void OnPeerStopFailed(PlacementMessage message)
    {
        var groups = message.Entries.Select(e => Find(e.Group)).OfType<GroupPlacement>().ToList();
        foreach (var g in groups)
        {
            g.PeerState = GroupState.StopFailed;
            if (g.State is not (PlacementState.AwaitingTakeover or PlacementState.Blocked))
            {
                g.ToPeer();
            }
        }
        if (!_settings.FencingEnabled)
        {
            // Nothing can stop the peer, and it still runs everything else: only the groups it
            // could not stop are blocked, and nothing is taken over.
            foreach (var g in groups)
            {
                Block(g, Peer!, here: false, $"a stop of {g.Name} failed on {Peer} ({message.Reason})");
            }
            return;
        }
        // The peer may still run these; it is alive, so only fencing it makes them safe to start here.
        BeginTakeover(_groups.Where(g => HolderOf(g) != GroupHolder.Me),
            $"a stop failed on {Peer} ({message.Reason}); it asked to be fenced", cancelOnReturn: false);
    }

    private void Request(IReadOnlyList<GroupPlacement> groups, string reason)
    {
        var id = ++_nextRequestId;
        Send(new PlacementMessage(PlacementMessageType.Request, id, 0, [.. groups.Select(g => new PlacementEntry(g.Name, 0))], reason));
    }

    private void Release(GroupPlacement g, ReleaseCode code, uint requestId, string reason)
    {
        g.ToPeer();
        g.PeerState = null;
        Send(new PlacementMessage(PlacementMessageType.Released, requestId, 0, [new PlacementEntry(g.Name, (byte)code)], reason));
    }
}
