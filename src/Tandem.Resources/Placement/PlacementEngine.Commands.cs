namespace Tandem.Resources.Placement;

public sealed partial class PlacementEngine
{
    private PlacementOutcome RunCommand(OperatorCommandKind kind, GroupSet set)
    {
        if (Peer is null)
        {
            return Refused("there is no peer to move groups to or from");
        }
        if (!_stable)
        {
            return Refused($"the initial placement is not decided yet (waiting for the state of {Peer}); try again in a moment");
        }
        if (_takeover is { } pending)
        {
            return Refused($"a takeover from {Peer} waits for fencing ({pending.LastFailure ?? "in progress"}); once you know {Peer} is off, run 'tandem fence confirm {Peer}'");
        }
        return kind switch
        {
            OperatorCommandKind.Standby => Standby(set),
            OperatorCommandKind.Takeover => TakeoverCommand(set),
            _ => Failback(),
        };
    }

    /// <summary>Rule "standby": each group of the set that runs here stops here first; the peer starts it only when released.</summary>
    private PlacementOutcome Standby(GroupSet set)
    {
        if (!PeerUp)
        {
            return Refused($"{Peer} is not up: there is nobody to hand groups to; they stay here");
        }
        var moving = _groups.Where(g => InSet(g, set) && HolderOf(g) == GroupHolder.Me && g.ActiveHere).ToList();
        foreach (var g in moving)
        {
            Event("group.standby", g.Name, $"an operator hands {g.Name} to {Peer}", Data(g));
            StopHere(g, new StopPlan(AfterStop.Release, $"standby: an operator hands {g.Name} to {Peer}"));
        }
        return new PlacementOutcome(true, [.. moving.Select(g => g.Name)], moving.Count == 0
            ? $"no group of the set '{SetName(set)}' runs here: nothing to hand over"
            : $"stopping {Count(moving.Count, "group")} here; {Peer} starts each once it is stopped");
    }

    /// <summary>
    /// Rule "takeover": the set's groups run here. The peer releases what it holds; a group failed
    /// here is tried again; a group blocked by a stop that failed here is stopped again first.
    /// </summary>
    private PlacementOutcome TakeoverCommand(GroupSet set)
    {
        var wanted = _groups.Where(g => InSet(g, set)
            && !(HolderOf(g) == GroupHolder.Me && g.ActiveHere && !(g.State == PlacementState.Blocked && g.BlockedHere))).ToList();
        foreach (var g in wanted)
        {
            g.FailedHere = false; // the operator says: try again here
        }
        var unblock = wanted.Where(g => g.State == PlacementState.Blocked && g.BlockedHere).ToList();
        var startHere = wanted.Except(unblock).Where(g => HolderOf(g) == GroupHolder.Me || !PeerUp).ToList();
        var ask = wanted.Except(unblock).Except(startHere).ToList();
        foreach (var g in unblock)
        {
            Event("group.unblocked", g.Name, $"an operator clears the failed stop of {g.Name} on {Me}: stopping it again, then starting it here", Data(g));
            StopHere(g, new StopPlan(AfterStop.StartHere, $"takeover: an operator cleared the failed stop of {g.Name}"));
        }
        foreach (var g in startHere)
        {
            if (IsBlockedOnPeer(g))
            {
                Event("group.unblocked", g.Name, $"an operator takes {g.Name} over from {Peer}, which is gone, on their word that nothing of it runs there", Data(g));
            }
            StartHere(g, "takeover: an operator wants it here");
        }
        foreach (var g in ask)
        {
            Event("group.takeover-requested", g.Name, $"an operator wants {g.Name} here; asking {Peer} to release it", Data(g));
        }
        if (ask.Count > 0)
        {
            Request(ask, "an operator's takeover on " + Me);
        }
        var here = unblock.Concat(startHere).ToList();
        return new PlacementOutcome(true, [.. wanted.Select(g => g.Name)], wanted.Count == 0
            ? $"every group of the set '{SetName(set)}' already runs here"
            : $"{(ask.Count > 0 ? $"asking {Peer} to release {string.Join(", ", ask.Select(g => g.Name))}; " : "")}"
              + $"{(here.Count > 0 ? $"starting {string.Join(", ", here.Select(g => g.Name))} here" : "each starts here once released")}");
    }

    /// <summary>Rule "failback": every group to its preferred node.</summary>
    private PlacementOutcome Failback()
    {
        if (!PeerUp)
        {
            return Refused($"{Peer} is not up: groups cannot move to their preferred node now");
        }
        var giveBack = _groups.Where(g => !g.PreferredHere && HolderOf(g) == GroupHolder.Me && g.ActiveHere).ToList();
        var takeBack = _groups.Where(g => g.PreferredHere && HolderOf(g) != GroupHolder.Me).ToList();
        foreach (var g in giveBack)
        {
            Event("group.failback", g.Name, $"failback: handing {g.Name} to {Peer}, its preferred node", Data(g));
            StopHere(g, new StopPlan(AfterStop.Release, $"failback: {g.Name} goes back to {Peer}, its preferred node"));
        }
        foreach (var g in takeBack)
        {
            g.FailedHere = false;
            Event("group.failback", g.Name, $"failback: asking {Peer} for {g.Name}, whose preferred node is {Me}", Data(g));
        }
        if (takeBack.Count > 0)
        {
            Request(takeBack, "failback: every group to its preferred node");
        }
        var all = giveBack.Concat(takeBack).OrderBy(g => g.Index).Select(g => g.Name).ToList();
        return new PlacementOutcome(true, all, all.Count == 0 ? "every group already runs on its preferred node" : $"moving {Count(all.Count, "group")} to its preferred node");
    }

    private static bool InSet(GroupPlacement g, GroupSet set) => set switch
    {
        GroupSet.Local => g.PreferredHere,
        GroupSet.Foreign => !g.PreferredHere,
        _ => true,
    };

    private static string SetName(GroupSet set) => set.ToString().ToLowerInvariant();
}
