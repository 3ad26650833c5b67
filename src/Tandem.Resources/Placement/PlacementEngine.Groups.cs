using Tandem.Resources.Groups;

namespace Tandem.Resources.Placement;

public sealed partial class PlacementEngine
{
    private void StartHere(GroupPlacement g, string reason)
    {
        if (g.ActiveHere)
        {
            return; // it runs (or may run) here already; a failed stop is never "started" over
        }
        if (_shuttingDown)
        {
            g.ToStopped();
            return;
        }
        g.ToStarting();
        Emit(new StartGroup(g.Name, reason));
    }

    private void StopHere(GroupPlacement g, StopPlan plan)
    {
        if (g.Busy)
        {
            g.Replan(plan); // a start or stop runs: the stop (and what follows) comes when it ends
            return;
        }
        g.ToStopping(plan);
        Emit(new StopGroup(g.Name, plan.Reason));
    }

    private void OnOperationEnded(GroupOperationEnded e)
    {
        if (Find(e.Group) is not { } g)
        {
            return;
        }
        var result = e.Result;
        if (e.Operation == GroupOperation.Start)
        {
            switch (result.Outcome)
            {
                case GroupOutcome.Started:
                    var plan = g.Plan;
                    g.FailedHere = false;
                    g.ToRunning(_time.GetUtcNow());
                    if (plan is { } due)
                    {
                        StopHere(g, due);
                    }
                    break;
                case GroupOutcome.StartFailed:
                    g.FailedHere = true;
                    HandOffFailed(g, ReleaseCode.StartFailed, result.Reason);
                    break;
                default:
                    StopFailed(g, result.Reason);
                    break;
            }
            return;
        }
        if (result.Outcome != GroupOutcome.Stopped)
        {
            StopFailed(g, result.Reason);
            return;
        }
        var after = g.Plan ?? new StopPlan(AfterStop.Hold, "");
        switch (after.After)
        {
            case AfterStop.Release when PeerUp:
                Release(g, after.Code, after.RequestId, result.Reason);
                break;
            case AfterStop.Release when !_shuttingDown:
                // Rule "aborted handover": the peer went away before it could take the group.
                Event("group.handover-aborted", g.Name, $"{Peer} is gone before it could take {g.Name}; starting it here again", Data(g));
                g.ToStopped();
                StartHere(g, $"the handover to {Peer} was aborted: {Peer} is gone");
                break;
            case AfterStop.YieldToPeer when PeerUp:
                g.ToPeer(); // stopped because it also ran on the peer: the peer keeps it
                break;
            case AfterStop.StartHere:
                g.ToStopped();
                g.FailedHere = false;
                StartHere(g, after.Reason);
                break;
            default:
                g.ToStopped();
                break;
        }
    }

    private void OnRecovery(GroupRecoveryNeeded r)
    {
        if (Find(r.Group) is not { } g)
        {
            return;
        }
        if (r.Result.Outcome == GroupOutcome.MoveRequired && g.State is PlacementState.Running or PlacementState.FailbackPending)
        {
            g.FailedHere = true;
            HandOffFailed(g, ReleaseCode.MonitorFailed, r.Result.Reason);
        }
        else if (r.Result.Outcome == GroupOutcome.StopFailedNeedsFencing)
        {
            StopFailed(g, r.Result.Reason);
        }
    }

    /// <summary>Rule "failure handover": the group failed here and is stopped; let the peer try, unless it failed there too.</summary>
    private void HandOffFailed(GroupPlacement g, ReleaseCode code, string reason)
    {
        if (_shuttingDown)
        {
            g.ToStopped();
            return;
        }
        if (PeerUp && !g.PeerFailed)
        {
            Event("group.moving", g.Name, $"{g.Name} failed here ({reason}); handing it to {Peer}", Data(g));
            Release(g, code, 0, reason);
            return;
        }
        var why = PeerUp ? $"it failed on {Peer} too" : Peer is null ? "there is no other node" : $"{Peer} is not up to take it";
        g.ToFailed($"failed here ({reason}); {why}; fix it, then run 'tandem takeover'");
        Event("group.unrunnable", g.Name, $"{g.Name} failed here ({reason}) and {why}: it stays down until an operator acts", Data(g));
    }

    /// <summary>
    /// Rule "failed stop → fence": the group may still run here, so only fencing this node lets it
    /// run elsewhere; the peer is asked to. Without fencing, or with no peer to do it, it is blocked.
    /// </summary>
    private void StopFailed(GroupPlacement g, string reason)
    {
        if (_shuttingDown)
        {
            g.ToStopFailed($"a stop failed here ({reason}) while this node shuts down");
            return;
        }
        if (!_settings.FencingEnabled)
        {
            Block(g, Me, here: true, $"a stop of {g.Name} failed here ({reason})");
            if (PeerUp)
            {
                // The peer must know: it blocks the group too instead of taking it over.
                Send(new PlacementMessage(PlacementMessageType.StopFailed, 0, 0, [new PlacementEntry(g.Name, 0)], reason));
            }
            return;
        }
        if (PeerUp)
        {
            g.ToStopFailed($"a stop failed here ({reason}); {Peer} was asked to fence this node and take it over");
            Event("group.fence-requested", g.Name, $"a stop of {g.Name} failed ({reason}); asking {Peer} to fence {Me} and take over", Data(g));
            Send(new PlacementMessage(PlacementMessageType.StopFailed, 0, 0, [new PlacementEntry(g.Name, 0)], reason));
            return;
        }
        Block(g, Me, here: true, $"a stop of {g.Name} failed here ({reason}) and no peer is up to fence this node");
    }

    /// <summary>Rule "blocked": the group may still run on <paramref name="node"/> and nothing can fence it: it starts nowhere until an operator acts.</summary>
    private void Block(GroupPlacement g, string node, bool here, string what)
    {
        var fix = here
            ? $"stop what still runs of it on {Me} by hand, then run 'tandem takeover' (here, or on {Peer ?? "the other node"}): the stop is tried again first"
            : $"stop what still runs of it on {node} by hand, then run 'tandem takeover' on either node (or 'tandem fence confirm {node}' once {node} is off)";
        var why = _settings.FencingEnabled ? what : $"{what} and fencing is disabled";
        g.ToBlocked(node, here, $"blocked: {why}; it may still run on {node}, so it is started on no node: {fix}");
        Event("group.blocked", g.Name, $"{g.Name} is blocked: {why}; it may still run on {node}, so it is started on no node until an operator acts: {fix}",
            Data(g, ("on", node)));
    }
}
