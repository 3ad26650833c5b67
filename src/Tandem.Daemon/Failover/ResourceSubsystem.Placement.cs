using System.Globalization;
using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Groups;

namespace Tandem.Daemon.Failover;

public sealed partial class ResourceSubsystem
{
    /// <summary>Handles one input; called by the loop with the lock held.</summary>
    private void Handle(object input)
    {
        switch (input)
        {
            case MessageInput m:
                OnMessage(m);
                break;
            case PeerEventInput e:
                OnPeerEvent(e);
                break;
            case OperationDone d:
                OnOperationDone(d);
                break;
            case RecoveryInput r:
                OnRecovery(r);
                break;
            case TakeoverDecided t:
                OnTakeoverDecided(t);
                break;
            case RetryTakeover r when _takeover?.Epoch == r.Epoch && !_shuttingDown:
                RunAuthorize(_takeover);
                break;
            case LeftCheck c when c.Generation == _peerGeneration && !_peerLeftCleanly && !_peerLost:
                PeerLost($"{_peer} stopped without saying which groups it released", cancelOnReturn: true);
                break;
            case StandaloneInput:
                _stable = true;
                foreach (var slot in _slots)
                {
                    Start(slot, $"{Me} is the only node of the cluster");
                }
                break;
            case CommandInput c:
                c.Done.TrySetResult(_shuttingDown ? Refused("this node is shutting down") : RunCommand(c.Command, c.Set));
                break;
            case ConfirmInput c:
                c.Done.TrySetResult(ConfirmFenced(c.Node));
                break;
            case VolumeChangedInput when _deferredFailback.Count > 0:
                RetryDeferredFailbacks();
                break;
        }
    }

    private void OnMessage(MessageInput input)
    {
        var m = input.Message;
        if (_peer is null || !string.Equals(m.From, _peer, StringComparison.OrdinalIgnoreCase) || m.Generation < _peerGeneration)
        {
            return; // not our peer, or an earlier run of it
        }
        PlacementMessage message;
        try
        {
            message = PlacementMessage.Parse(m.Payload.Span);
        }
        catch (PlacementProtocolException e)
        {
            LogBadMessage(_logger, m.From, e.Message);
            _events.Publish("resources.bad-message", m.From, $"ignored a placement message from {m.From}: {e.Message}");
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

    /// <summary>The first message of a new run of the peer: what its earlier run held is gone from its view.</summary>
    private void OnNewIncarnation(ulong generation)
    {
        var old = _peerGeneration;
        _peerGeneration = generation;
        _peerKnown = false;
        _peerStable = false;
        _peerLeftCleanly = false;
        var pending = _takeover?.Groups ?? [];
        var held = _slots.Where(s => s.Holder == GroupHolder.Peer && !pending.Contains(s.Name)).ToList();
        if (old != 0 && !_peerLost && held.Any(s => s.PeerState is { } st && GroupSlot.IsActive(st)))
        {
            // The earlier run vanished without releasing: the daemon died, but what its agents
            // started (addresses, mounts, daemons) may well still run there. Only fencing tells.
            _peerLost = true;
            BeginTakeover(held.Where(s => s.PeerState is { } st && GroupSlot.IsActive(st)),
                $"{_peer} restarted (run {old} -> {generation}) without releasing {string.Join(", ", held.Select(s => s.Name))}; what it ran may still run there",
                cancelOnReturn: false);
        }
        foreach (var slot in _slots)
        {
            if (slot.Holder == GroupHolder.Peer && !(_takeover?.Groups.Contains(slot.Name) ?? false))
            {
                slot.Holder = GroupHolder.Unknown;
            }
            slot.PeerState = null;
            slot.PeerFailed = false;
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
            _events.Publish("resources.peer-back", _peer!, $"{_peer} is reachable again (same run): it was cut off, not dead");
            SendState(force: true);
        }
        // The same run is back (it was cut off), or a peer never heard before shows up: what it
        // runs, it now says itself.
        if (_takeover is { CancelOnReturn: true } t && (t.Generation == _peerGeneration || t.Generation == 0))
        {
            CancelTakeover($"{_peer} is back (same run): it was cut off, not dead; its groups stay where they are");
        }
        foreach (var entry in message.Entries)
        {
            if (Find(entry.Group) is not { } slot || !Enum.IsDefined((GroupState)entry.Code))
            {
                continue;
            }
            var state = (GroupState)entry.Code;
            slot.PeerState = state;
            if (state == GroupState.Failed)
            {
                slot.PeerFailed = true;
            }
            if (GroupSlot.IsActive(state))
            {
                // A copy whose stop failed is why the takeover fences the peer: its report (which
                // may arrive after the stop-failed message) is no adoption to cancel for.
                if (state != GroupState.StopFailed && _takeover is { } pending && pending.Groups.Remove(slot.Name))
                {
                    // The peer's new run adopted what its earlier run left: nothing to fence for it.
                    slot.Blocked = null;
                    if (pending.Groups.Count == 0)
                    {
                        CancelTakeover($"{_peer} runs {slot.Name} again itself; nothing is left to take over");
                    }
                }
                // A copy whose stop failed is not a running duplicate to arbitrate: that node is being fenced.
                if (slot.ActiveHere && slot.ReleaseAfterStop is null && slot.StopWhenIdle is null && !slot.Busy
                    && state != GroupState.StopFailed && slot.Runner.State != GroupState.StopFailed)
                {
                    DualActive(slot);
                }
                else if (!slot.ActiveHere)
                {
                    slot.Holder = GroupHolder.Peer;
                }
            }
            else if (slot.Holder == GroupHolder.Unknown)
            {
                PlaceInitially(slot);
            }
        }
        // Groups the peer did not list (its configuration lacks them) are placed as if it ran none of them.
        foreach (var slot in _slots.Where(s => s.Holder == GroupHolder.Unknown && !message.Entries.Any(e => e.Group == s.Name)))
        {
            PlaceInitially(slot);
        }
        if (!_stable)
        {
            _stable = true;
            _events.Publish("resources.stable", Me, $"initial placement decided with {_peer}: " + Placement());
        }
        if (joined)
        {
            AutoFailback();
            _events.Publish("resources.peer-joined", _peer!,
                $"{_peer} (run {_peerGeneration.ToString(CultureInfo.InvariantCulture)}) sent its state; auto_failback {Mode(_node.Spec.AutoFailback)}: " + Placement());
        }
    }

    /// <summary>Neither node runs the group: its preferred node holds it. Both nodes apply the same rule.</summary>
    private void PlaceInitially(GroupSlot slot)
    {
        if (slot.ActiveHere)
        {
            slot.Holder = GroupHolder.Me;
        }
        else if (IsPreferredHere(slot))
        {
            slot.Holder = GroupHolder.Me;
            if (!slot.FailedHere)
            {
                Start(slot, $"{Me} is {slot.Name}'s preferred node and {_peer} does not run it");
            }
        }
        else
        {
            slot.Holder = GroupHolder.Peer;
        }
    }

    /// <summary>What auto_failback does when the peer (re)joins, as heartbeat-pacemaker.md §3.5 describes.</summary>
    private void AutoFailback()
    {
        switch (_node.Spec.AutoFailback)
        {
            case FailbackMode.On:
                // nice_failback with auto_failback: whoever holds foreign groups gives them back.
                foreach (var slot in _slots.Where(s => s.Holder == GroupHolder.Me && s.ActiveHere && !IsPreferredHere(s)))
                {
                    if (VolumesNotReadyOnPeer(slot) is { Count: > 0 } waiting)
                    {
                        // Handing the group over now would stop the service here only for its start
                        // on the peer to wait for (or fail on) the resync: keep it until the peer's
                        // copies are UpToDate.
                        _deferredFailback.Add(slot);
                        _events.Publish("group.failback-deferred", slot.Name,
                            $"auto_failback on: {slot.Name} goes back to {_peer} once its copy of {string.Join(", ", waiting)} is UpToDate");
                        ScheduleFailbackRecheck();
                        continue;
                    }
                    _events.Publish("group.failback", slot.Name, $"auto_failback on: {_peer}, {slot.Name}'s preferred node, has joined; handing it back");
                    Stop(slot, $"auto_failback on: giving {slot.Name} back to {_peer}", ReleaseCode.Handover, 0);
                }
                break;
            case FailbackMode.Legacy:
                // Heartbeat's req_resource: the preferred node asks for its groups when it joins.
                var wanted = _slots.Where(s => s.Holder == GroupHolder.Peer && IsPreferredHere(s) && s.PeerState is { } st && GroupSlot.IsActive(st)).ToList();
                if (wanted.Count > 0)
                {
                    foreach (var slot in wanted)
                    {
                        _events.Publish("group.failback", slot.Name, $"auto_failback legacy: asking {_peer} for {slot.Name}, whose preferred node is {Me}");
                    }
                    Request(wanted, "auto_failback legacy: the preferred node takes its groups back");
                }
                break;
            case FailbackMode.Off:
                break;
        }
    }

    /// <summary>The replicated volumes of a group's drbddisk/volume resources whose copy on the peer is not UpToDate.</summary>
    private List<string> VolumesNotReadyOnPeer(GroupSlot slot)
    {
        if (_volumes is null)
        {
            return [];
        }
        return [.. slot.Spec.Resources
            .Where(VolumeAgent.IsVolumeResource)
            .Select(VolumeAgent.VolumeOf)
            .OfType<string>()
            .Where(v => !_volumes.IsUpToDateOnPeer(v))];
    }

    /// <summary>
    /// Looks again in a second: the volume events that usually trigger the check may all have come
    /// before the peer reported its disk UpToDate.
    /// </summary>
    private void ScheduleFailbackRecheck()
    {
        if (_failbackRecheckScheduled)
        {
            return;
        }
        _failbackRecheckScheduled = true;
        Track(RecheckAsync);

        async Task RecheckAsync()
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_lock)
            {
                _failbackRecheckScheduled = false;
            }
            Post(new VolumeChangedInput());
        }
    }

    /// <summary>A volume changed: hand back the deferred groups whose volumes the peer now holds UpToDate.</summary>
    private void RetryDeferredFailbacks()
    {
        foreach (var slot in _deferredFailback.ToList())
        {
            if (_peerLost || _shuttingDown || slot.Holder != GroupHolder.Me || !slot.ActiveHere || IsPreferredHere(slot))
            {
                _deferredFailback.Remove(slot); // the peer went away again, or the group moved or stopped meanwhile
                continue;
            }
            if (VolumesNotReadyOnPeer(slot).Count > 0)
            {
                ScheduleFailbackRecheck();
                continue;
            }
            _deferredFailback.Remove(slot);
            _events.Publish("group.failback", slot.Name, $"auto_failback on: {_peer}'s copies of {slot.Name}'s volumes are UpToDate; handing it back");
            Stop(slot, $"auto_failback on: giving {slot.Name} back to {_peer}", ReleaseCode.Handover, 0);
        }
    }

    /// <summary>
    /// The group runs on both nodes (only possible after a partition with fencing disabled). The
    /// rule: it stays on its preferred node and stops on the other. Both nodes apply it alike, so
    /// exactly one stops it, and the cluster itself keeps running.
    /// </summary>
    private void DualActive(GroupSlot slot)
    {
        if (IsPreferredHere(slot))
        {
            slot.Holder = GroupHolder.Me;
            _events.Publish("group.dual-active", slot.Name,
                $"{slot.Name} runs on both {Me} and {_peer} (a partition without fencing); it stays on {Me}, its preferred node, and stops on {_peer}",
                Data(slot, ("kept", Me), ("stopped", _peer!)));
            // The peer may not have heard that it runs here too: tell it, so that it stops its copy.
            SendState(force: true);
            return;
        }
        _events.Publish("group.dual-active", slot.Name,
            $"{slot.Name} runs on both {Me} and {_peer} (a partition without fencing); it stays on {_peer}, its preferred node, and stops here",
            Data(slot, ("kept", _peer!), ("stopped", Me)));
        Stop(slot, $"{slot.Name} also runs on {_peer}, its preferred node", release: null, 0);
    }

    private void OnRequest(PlacementMessage message)
    {
        var releasedNow = new List<PlacementEntry>();
        foreach (var entry in message.Entries)
        {
            if (Find(entry.Group) is not { } slot)
            {
                continue;
            }
            var why = $"{_peer} asked for it: {message.Reason}";
            if (slot.Busy && slot.ReleaseAfterStop is null)
            {
                slot.StopWhenIdle = why; // a start is under way: stop once it ends
                slot.ReleaseAfterStop = ReleaseCode.Handover;
                slot.ReleaseRequestId = message.Id;
            }
            else if (slot.ActiveHere && !slot.Busy)
            {
                Stop(slot, why, ReleaseCode.Handover, message.Id);
            }
            else if (!slot.ActiveHere && !slot.Busy)
            {
                // Not running here: it can go at once.
                slot.Holder = GroupHolder.Peer;
                releasedNow.Add(new PlacementEntry(slot.Name, (byte)ReleaseCode.Handover));
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
            if (Find(entry.Group) is not { } slot)
            {
                continue;
            }
            slot.Holder = GroupHolder.Me;
            slot.PeerState = GroupState.Stopped;
            var code = (ReleaseCode)entry.Code;
            var failedThere = code is ReleaseCode.StartFailed or ReleaseCode.MonitorFailed;
            slot.PeerFailed = failedThere;
            if (_shuttingDown)
            {
                continue; // the Leaving message hands it straight back
            }
            if (failedThere && slot.FailedHere)
            {
                slot.Blocked = $"failed on both nodes ({message.Reason}); fix it, then run 'tandem takeover' on the node that should run it";
                _events.Publish("group.unrunnable", slot.Name, $"{slot.Name} failed on {_peer} too ({message.Reason}); it stays down until an operator acts", Data(slot));
                continue;
            }
            Start(slot, $"{_peer} released it: {message.Reason}");
        }
    }

    private void OnLeaving(PlacementMessage message)
    {
        var released = new List<GroupSlot>();
        var stuck = new List<GroupSlot>();
        foreach (var entry in message.Entries)
        {
            if (Find(entry.Group) is not { } slot)
            {
                continue;
            }
            if ((ReleaseCode)entry.Code == ReleaseCode.NotReleased)
            {
                stuck.Add(slot);
            }
            else
            {
                released.Add(slot);
            }
        }
        _peerLeftCleanly = stuck.Count == 0;
        _peerKnown = false;
        _peerLost = true;
        if (released.Count > 0)
        {
            // Announces fencing.unneeded: a clean departure needs no fencing.
            _ = _fencing.Coordinator.AuthorizeTakeoverAsync(_peer!, leftCleanly: true, CancellationToken.None);
        }
        foreach (var slot in released)
        {
            slot.Holder = GroupHolder.Me;
            slot.PeerState = GroupState.Stopped;
            slot.Blocked = null;
            if (!slot.ActiveHere && !slot.Busy && !slot.FailedHere && !_shuttingDown)
            {
                Start(slot, $"{_peer} is shutting down and released it");
            }
        }
        if (stuck.Count > 0)
        {
            BeginTakeover(stuck, $"{_peer} left without being able to stop {string.Join(", ", stuck.Select(s => s.Name))}", cancelOnReturn: false);
        }
    }

    private void OnPeerStopFailed(PlacementMessage message)
    {
        var groups = message.Entries.Select(e => Find(e.Group)).OfType<GroupSlot>().ToList();
        foreach (var slot in groups)
        {
            slot.PeerState = GroupState.StopFailed;
            slot.Holder = GroupHolder.Peer;
        }
        // The peer may still run these; it is alive, so only fencing it makes them safe to start here.
        BeginTakeover(_slots.Where(s => s.Holder != GroupHolder.Me),
            $"a stop failed on {_peer} ({message.Reason}); it asked to be fenced", cancelOnReturn: false);
    }

    private void OnPeerEvent(PeerEventInput e)
    {
        switch (e.Kind)
        {
            case "node.dead":
                PeerLost($"{_peer} is dead: {e.Reason}", cancelOnReturn: true);
                break;
            case "node.left" when _peerLeftCleanly:
                _peerLost = true;
                _peerKnown = false;
                break;
            case "node.left":
                // Its Leaving message normally arrives first; give a slow one a moment before fencing.
                var generation = _peerGeneration;
                Track(async () =>
                {
                    try
                    {
                        await Task.Delay(s_leftGrace, _time, _stop.Token).ConfigureAwait(false);
                        Post(new LeftCheck(generation));
                    }
                    catch (OperationCanceledException)
                    {
                    }
                });
                break;
            case "node.up" when e.FromDead:
            case "node.restarted":
                SendState(force: true);
                break;
        }
    }

    /// <summary>The peer is gone (dead, or left without releasing): take over what it may hold, once the takeover rule allows.</summary>
    private void PeerLost(string reason, bool cancelOnReturn)
    {
        if (_peerLost)
        {
            return;
        }
        _peerLost = true;
        _peerKnown = false;
        var candidates = _slots.Where(s => s.Holder != GroupHolder.Me).ToList();
        if (candidates.Count == 0)
        {
            _events.Publish("resources.peer-lost", _peer!, $"{reason}; every group it could have run is held here: nothing to take over");
            return;
        }
        BeginTakeover(candidates, reason, cancelOnReturn);
    }

    private void BeginTakeover(IEnumerable<GroupSlot> groups, string reason, bool cancelOnReturn)
    {
        var slots = groups.ToList();
        if (slots.Count == 0)
        {
            return;
        }
        if (_takeover is { } existing)
        {
            foreach (var slot in slots)
            {
                existing.Groups.Add(slot.Name);
                slot.Blocked = existing.LastFailure is null ? $"waiting to take over from {_peer}: fencing it first" : slot.Blocked;
            }
            return;
        }
        var takeover = new PendingTakeover(++_epoch, _peerGeneration, reason, cancelOnReturn, _time.GetUtcNow());
        foreach (var slot in slots)
        {
            takeover.Groups.Add(slot.Name);
            slot.Blocked = $"waiting to take over from {_peer}: fencing it first";
        }
        _takeover = takeover;
        _events.Publish("resources.takeover-pending", _peer!, $"{reason}; {string.Join(", ", slots.Select(s => s.Name))} will be taken over once the takeover rule allows",
            new Dictionary<string, string>(StringComparer.Ordinal) { ["groups"] = string.Join(",", slots.Select(s => s.Name)) });
        RunAuthorize(takeover);
    }

    private void RunAuthorize(PendingTakeover takeover)
    {
        takeover.Attempts++;
        var peer = _peer!;
        var token = takeover.Cts.Token;
        Track(async () =>
        {
            try
            {
                var decision = await _fencing.Coordinator.AuthorizeTakeoverAsync(peer, leftCleanly: false, token).ConfigureAwait(false);
                Post(new TakeoverDecided(takeover.Epoch, decision));
            }
            catch (OperationCanceledException)
            {
                // Cancelled: the peer came back, an operator confirmed, or this node stops.
            }
        });
    }

    private void OnTakeoverDecided(TakeoverDecided t)
    {
        if (_takeover is not { } takeover || takeover.Epoch != t.Epoch || _shuttingDown)
        {
            return;
        }
        if (t.Decision.Allowed)
        {
            CompleteTakeover(t.Decision.Basis switch
            {
                Fencing.TakeoverBasis.Fenced => $"{_peer} was fenced ({t.Decision.Reason})",
                Fencing.TakeoverBasis.FencingDisabled => "WITHOUT FENCING (fencing is disabled in the configuration)",
                _ => t.Decision.Reason,
            }, t.Decision.Basis.ToString());
            return;
        }
        takeover.LastFailure = t.Decision.Reason;
        var why = $"not taken over from {_peer}: {t.Decision.Reason}; retrying every {s_takeoverRetry.TotalSeconds:0} s, or run 'tandem fence confirm {_peer}' once you know it is off";
        foreach (var slot in _slots.Where(s => takeover.Groups.Contains(s.Name)))
        {
            slot.Blocked = why;
        }
        _events.Publish("resources.takeover-blocked", _peer!, why,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["groups"] = string.Join(",", takeover.Groups), ["basis"] = t.Decision.Basis.ToString() });
        var epoch = takeover.Epoch;
        var token = takeover.Cts.Token;
        Track(async () =>
        {
            try
            {
                await Task.Delay(s_takeoverRetry, _time, token).ConfigureAwait(false);
                Post(new RetryTakeover(epoch));
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    private void CompleteTakeover(string how, string basis)
    {
        var takeover = _takeover!;
        _takeover = null;
        takeover.Cts.Cancel();
        var slots = _slots.Where(s => takeover.Groups.Contains(s.Name)).ToList();
        var names = string.Join(", ", slots.Select(s => s.Name));
        LogTakeover(_logger, names, _peer!, how);
        _events.Publish("resources.takeover", _peer!, $"taking over {names} from {_peer}: {how}",
            new Dictionary<string, string>(StringComparer.Ordinal) { ["groups"] = string.Join(",", slots.Select(s => s.Name)), ["basis"] = basis });
        foreach (var slot in slots)
        {
            slot.Holder = GroupHolder.Me;
            slot.PeerState = null;
            slot.PeerFailed = false;
            slot.FailedHere = false;
            slot.Blocked = null;
            Start(slot, $"takeover from {_peer}: {how}");
        }
    }

    private void CancelTakeover(string reason)
    {
        var takeover = _takeover!;
        _takeover = null;
        takeover.Cts.Cancel();
        foreach (var slot in _slots.Where(s => takeover.Groups.Contains(s.Name)))
        {
            slot.Blocked = null;
        }
        _events.Publish("resources.takeover-cancelled", _peer!, reason);
    }

    private void OnOperationDone(OperationDone d)
    {
        var slot = d.Slot;
        slot.Busy = false;
        slot.PendingStart = false;
        var result = d.Result;
        if (d.Start)
        {
            switch (result.Outcome)
            {
                case GroupOutcome.Started:
                    slot.FailedHere = false;
                    slot.RunningSince = _time.GetUtcNow();
                    if (slot.StopWhenIdle is { } why)
                    {
                        slot.StopWhenIdle = null;
                        Stop(slot, why, slot.ReleaseAfterStop, slot.ReleaseRequestId);
                    }
                    break;
                case GroupOutcome.StartFailed:
                    slot.StopWhenIdle = null;
                    slot.ReleaseAfterStop = null;
                    slot.FailedHere = true;
                    HandOffFailed(slot, ReleaseCode.StartFailed, result.Reason);
                    break;
                default:
                    StopFailed(slot, result.Reason);
                    break;
            }
            return;
        }
        slot.StopWhenIdle = null;
        if (result.Outcome != GroupOutcome.Stopped)
        {
            slot.ReleaseAfterStop = null;
            StopFailed(slot, result.Reason);
            return;
        }
        slot.RunningSince = null;
        if (slot.ReleaseAfterStop is { } code)
        {
            slot.ReleaseAfterStop = null;
            if (PeerUp)
            {
                Release(slot, code, slot.ReleaseRequestId, result.Reason);
            }
            else if (!_shuttingDown)
            {
                _events.Publish("group.handover-aborted", slot.Name, $"{_peer} is gone before it could take {slot.Name}; starting it here again", Data(slot));
                Start(slot, $"the handover to {_peer} was aborted: {_peer} is gone");
            }
            return;
        }
        // Stopped because it also ran on the peer (dual-active rule): the peer keeps it.
        slot.Holder = PeerUp ? GroupHolder.Peer : GroupHolder.Me;
    }

    private void OnRecovery(RecoveryInput r)
    {
        var slot = r.Slot;
        if (r.Result.Outcome == GroupOutcome.MoveRequired)
        {
            slot.FailedHere = true;
            slot.RunningSince = null;
            HandOffFailed(slot, ReleaseCode.MonitorFailed, r.Result.Reason);
        }
        else if (r.Result.Outcome == GroupOutcome.StopFailedNeedsFencing)
        {
            StopFailed(slot, r.Result.Reason);
        }
    }

    /// <summary>The group failed here and is stopped: let the peer try, unless it failed there too.</summary>
    private void HandOffFailed(GroupSlot slot, ReleaseCode code, string reason)
    {
        if (_shuttingDown)
        {
            return;
        }
        if (PeerUp && !slot.PeerFailed)
        {
            _events.Publish("group.moving", slot.Name, $"{slot.Name} failed here ({reason}); handing it to {_peer}", Data(slot));
            Release(slot, code, 0, reason);
            return;
        }
        slot.Holder = GroupHolder.Me;
        var why = PeerUp ? $"it failed on {_peer} too" : _peer is null ? "there is no other node" : $"{_peer} is not up to take it";
        slot.Blocked = $"failed here ({reason}); {why}; fix it, then run 'tandem takeover'";
        _events.Publish("group.unrunnable", slot.Name, $"{slot.Name} failed here ({reason}) and {why}: it stays down until an operator acts", Data(slot));
    }

    /// <summary>A stop failed: the group may still run here, so only fencing this node lets it run elsewhere.</summary>
    private void StopFailed(GroupSlot slot, string reason)
    {
        slot.Holder = GroupHolder.Me;
        slot.RunningSince = null;
        if (PeerUp)
        {
            slot.Blocked = $"a stop failed here ({reason}); {_peer} was asked to fence this node and take it over";
            _events.Publish("group.fence-requested", slot.Name, $"a stop of {slot.Name} failed ({reason}); asking {_peer} to fence {Me} and take over", Data(slot));
            Send(new PlacementMessage(PlacementMessageType.StopFailed, 0, 0, [new PlacementEntry(slot.Name, 0)], reason));
            return;
        }
        slot.Blocked = $"a stop failed here ({reason}) and no peer is up to fence this node: power-cycle {Me}, or clean up by hand and restart the daemon";
        _events.Publish("group.fence-requested", slot.Name, slot.Blocked, Data(slot));
    }

    private void Release(GroupSlot slot, ReleaseCode code, uint requestId, string reason)
    {
        slot.Holder = GroupHolder.Peer;
        slot.PeerState = null;
        slot.Blocked = null;
        Send(new PlacementMessage(PlacementMessageType.Released, requestId, 0, [new PlacementEntry(slot.Name, (byte)code)], reason));
    }

    private void Request(IReadOnlyList<GroupSlot> slots, string reason)
    {
        var id = ++_nextRequestId;
        Send(new PlacementMessage(PlacementMessageType.Request, id, 0, [.. slots.Select(s => new PlacementEntry(s.Name, 0))], reason));
    }

    private void Start(GroupSlot slot, string reason)
    {
        slot.Holder = GroupHolder.Me;
        slot.Blocked = null;
        if (_shuttingDown || slot.Busy || slot.ActiveHere)
        {
            return;
        }
        slot.Busy = true;
        slot.PendingStart = true;
        Track(async () =>
        {
            GroupResult result;
            try
            {
                result = await slot.Runner.StartAsync(reason, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // any failure of the runner is a failed start, reported like one
            catch (Exception e)
#pragma warning restore CA1031
            {
                result = new GroupResult(slot.Name, GroupOutcome.StartFailed, $"{e.GetType().Name}: {e.Message}");
            }
            Post(new OperationDone(slot, true, result));
        }, operation: true);
    }

    private void Stop(GroupSlot slot, string reason, ReleaseCode? release, uint requestId)
    {
        slot.ReleaseAfterStop = release;
        slot.ReleaseRequestId = requestId;
        if (slot.Busy)
        {
            slot.StopWhenIdle = reason;
            return;
        }
        slot.Busy = true;
        Track(async () =>
        {
            GroupResult result;
            try
            {
                result = await slot.Runner.StopAsync(reason, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // a stop that throws may have left the group running: a failed stop
            catch (Exception e)
#pragma warning restore CA1031
            {
                result = new GroupResult(slot.Name, GroupOutcome.StopFailedNeedsFencing, $"{e.GetType().Name}: {e.Message}");
            }
            Post(new OperationDone(slot, false, result));
        }, operation: true);
    }

    /// <summary>Sends this node's state to the peer when it changed (or always, to a new run of the peer).</summary>
    private void SendState(bool force)
    {
        if (_channel is null || _peer is null)
        {
            return;
        }
        var message = new PlacementMessage(PlacementMessageType.State, 0, _stable ? PlacementMessage.FlagStable : (byte)0,
            [.. _slots.Select(s => new PlacementEntry(s.Name, (byte)s.ReportedState))], $"{Me} state");
        var bytes = message.Format();
        if (!force && _lastState is not null && bytes.AsSpan().SequenceEqual(_lastState))
        {
            return;
        }
        _lastState = bytes;
        Send(message);
    }

    private bool PeerUp => _peerKnown && !_peerLost;

    private bool IsPreferredHere(GroupSlot slot) => string.Equals(slot.Spec.PreferredNode, Me, StringComparison.OrdinalIgnoreCase);

    private GroupSlot? Find(string name) => _slots.FirstOrDefault(s => s.Name == name);

    private string Placement() => string.Join(", ", _slots.Select(s => $"{s.Name} on {s.Holder switch
    {
        GroupHolder.Me => Me,
        GroupHolder.Peer => _peer,
        _ => "(undecided)",
    }}"));

    private Dictionary<string, string> Data(GroupSlot slot, params (string Key, string Value)[] more)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal) { ["group"] = slot.Name, ["node"] = Me };
        foreach (var (k, v) in more)
        {
            data[k] = v;
        }
        return data;
    }

    private static PlacementOutcome Refused(string why) => new(false, [], why);

    private static string Count(int n, string what) => string.Create(CultureInfo.InvariantCulture, $"{n} {what}{(n == 1 ? "" : "s")}");
}
