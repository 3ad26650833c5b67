using Tandem.Resources.Groups;

namespace Tandem.Resources.Placement;

public sealed partial class PlacementEngine
{
    /// <summary>Rule "peer lost": the peer is dead, or left without releasing; take over what it may hold, once the takeover rule allows.</summary>
    private void PeerGone(string reason, bool cancelOnReturn)
    {
        if (_peerLost)
        {
            return;
        }
        _peerLost = true;
        _peerKnown = false;
        var candidates = _groups.Where(g => HolderOf(g) != GroupHolder.Me).ToList();
        if (candidates.Count == 0)
        {
            Event("resources.peer-lost", Peer!, $"{reason}; every group it could have run is held here: nothing to take over");
            return;
        }
        BeginTakeover(candidates, reason, cancelOnReturn);
    }

    private void BeginTakeover(IEnumerable<GroupPlacement> groups, string reason, bool cancelOnReturn)
    {
        var list = groups.ToList();
        if (!_settings.FencingEnabled)
        {
            // Rule "failed stop without fencing → blocked": a group whose stop failed there may
            // still run there, and without fencing nothing can make sure it does not.
            foreach (var g in list.Where(g => g.PeerState == GroupState.StopFailed || IsBlockedOnPeer(g)))
            {
                if (!IsBlockedOnPeer(g))
                {
                    Block(g, Peer!, here: false, $"a stop of {g.Name} failed on {Peer}");
                }
            }
            list = [.. list.Where(g => !IsBlockedOnPeer(g))];
        }
        if (list.Count == 0)
        {
            return;
        }
        const string fencingFirst = "waiting to take over from {0}: fencing it first";
        if (_takeover is { } existing)
        {
            foreach (var g in list)
            {
                existing.MutableGroups.Add(g.Name);
                g.ToAwaitingTakeover(existing.LastFailure is null ? string.Format(System.Globalization.CultureInfo.InvariantCulture, fencingFirst, Peer) : NotTakenOver(existing.LastFailure));
            }
            return;
        }
        var takeover = new PendingTakeover(++_epoch, _peerGeneration, reason, cancelOnReturn, _time.GetUtcNow());
        foreach (var g in list)
        {
            takeover.MutableGroups.Add(g.Name);
            g.ToAwaitingTakeover(string.Format(System.Globalization.CultureInfo.InvariantCulture, fencingFirst, Peer));
        }
        _takeover = takeover;
        Event("resources.takeover-pending", Peer!, $"{reason}; {string.Join(", ", list.Select(g => g.Name))} will be taken over once the takeover rule allows",
            new Dictionary<string, string>(StringComparer.Ordinal) { ["groups"] = string.Join(",", list.Select(g => g.Name)) });
        Authorize(takeover);
    }

    private void Authorize(PendingTakeover takeover)
    {
        takeover.Attempts++;
        Emit(new AuthorizeTakeover(takeover.Epoch, Peer!));
    }

    private string NotTakenOver(string failure) =>
        $"not taken over from {Peer}: {failure}; retrying every {_settings.TakeoverRetry.TotalSeconds:0} s, or run 'tandem fence confirm {Peer}' once you know it is off";

    /// <summary>Rule "failed fence → block": a refused takeover keeps the groups down, says why, and asks again later.</summary>
    private void OnTakeoverAnswered(TakeoverAnswered answer)
    {
        if (_takeover is not { } takeover || takeover.Epoch != answer.Epoch || _shuttingDown)
        {
            return;
        }
        if (answer.Allowed)
        {
            CompleteTakeover(answer.Reason, answer.Basis);
            return;
        }
        takeover.LastFailure = answer.Reason;
        var why = NotTakenOver(answer.Reason);
        foreach (var g in _groups.Where(g => takeover.Groups.Contains(g.Name)))
        {
            g.Waiting = why;
        }
        Event("resources.takeover-blocked", Peer!, why,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["groups"] = string.Join(",", takeover.Groups), ["basis"] = answer.Basis });
        Emit(new ScheduleTimer(new PlacementTimer.TakeoverRetry(takeover.Epoch), _settings.TakeoverRetry));
    }

    private void CompleteTakeover(string how, string basis)
    {
        var takeover = _takeover!;
        _takeover = null;
        Emit(new CancelTakeover(takeover.Epoch));
        var groups = _groups.Where(g => takeover.Groups.Contains(g.Name)).ToList();
        var names = string.Join(", ", groups.Select(g => g.Name));
        Emit(new LogTakeover(names, Peer!, how));
        Event("resources.takeover", Peer!, $"taking over {names} from {Peer}: {how}",
            new Dictionary<string, string>(StringComparer.Ordinal) { ["groups"] = string.Join(",", groups.Select(g => g.Name)), ["basis"] = basis });
        foreach (var g in groups)
        {
            g.PeerState = null;
            g.PeerFailed = false;
            g.FailedHere = false;
            StartHere(g, $"takeover from {Peer}: {how}");
        }
    }

    /// <summary>The peer is back, or adopted what it ran: the takeover's groups are placed again from what the peer says.</summary>
    private void CancelPendingTakeover(string reason)
    {
        var takeover = _takeover!;
        _takeover = null;
        Emit(new CancelTakeover(takeover.Epoch));
        foreach (var g in _groups.Where(g => takeover.Groups.Contains(g.Name) && g.State == PlacementState.AwaitingTakeover))
        {
            g.ToUndecided();
        }
        Event("resources.takeover-cancelled", Peer!, reason);
    }

    private PlacementOutcome ConfirmFenced(string node)
    {
        if (!WaitsForConfirmation(node))
        {
            return Refused($"nothing waits for a confirmation that {node} is off");
        }
        Event("fencing.operator-confirmed", node,
            $"an operator confirmed that {node} is off (tandem fence confirm); its groups are taken over without a successful fence");
        var blocked = PeerUp ? [] : _groups.Where(IsBlockedOnPeer).ToList();
        var names = (_takeover?.Groups ?? new HashSet<string>()).Concat(blocked.Select(g => g.Name)).ToList();
        if (_takeover is not null)
        {
            CompleteTakeover($"an operator confirmed that {node} is off", "OperatorConfirmed");
        }
        foreach (var g in blocked)
        {
            // The node whose stop failed is off: what it could not stop no longer runs.
            g.FailedHere = false;
            StartHere(g, $"an operator confirmed that {node} is off");
        }
        return new PlacementOutcome(true, names, $"taking over {string.Join(", ", names)} from {node}");
    }
}
