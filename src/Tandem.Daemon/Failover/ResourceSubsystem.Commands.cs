using System.Globalization;
using Tandem.Daemon.Status;
using Tandem.Fencing.Devices;
using Tandem.Resources.Groups;

namespace Tandem.Daemon.Failover;

public sealed partial class ResourceSubsystem
{
    /// <summary>
    /// <c>tandem standby</c>: hands the groups of the set that run here to the peer. Each is stopped
    /// here first; the peer starts it only when it receives the release, so it never runs twice.
    /// </summary>
    /// <param name="set">Which groups, relative to this node.</param>
    /// <param name="cancellationToken">Stops waiting for the decision.</param>
    /// <returns>The groups being moved, or why not.</returns>
    public Task<PlacementOutcome> StandbyAsync(GroupSet set, CancellationToken cancellationToken) => CommandAsync("standby", set, cancellationToken);

    /// <summary><c>tandem takeover</c>: asks the peer to release the groups of the set that it holds, and starts them here.</summary>
    /// <param name="set">Which groups, relative to this node.</param>
    /// <param name="cancellationToken">Stops waiting for the decision.</param>
    /// <returns>The groups being moved, or why not.</returns>
    public Task<PlacementOutcome> TakeoverAsync(GroupSet set, CancellationToken cancellationToken) => CommandAsync("takeover", set, cancellationToken);

    /// <summary><c>tandem failback</c>: moves every group to its preferred node (gives foreign groups back, asks for local ones).</summary>
    /// <param name="cancellationToken">Stops waiting for the decision.</param>
    /// <returns>The groups being moved, or why not.</returns>
    public Task<PlacementOutcome> FailbackAsync(CancellationToken cancellationToken) => CommandAsync("failback", GroupSet.All, cancellationToken);

    /// <summary>
    /// <c>tandem fence confirm NODE</c>: an operator promises that <paramref name="node"/> is off.
    /// Completes a manual fencing that waits for it; otherwise, when a takeover from that node waits
    /// for a fencing that has not succeeded, the takeover proceeds on the operator's word.
    /// </summary>
    /// <param name="node">The node that is off.</param>
    /// <param name="cancellationToken">Stops waiting for the decision.</param>
    /// <returns>What the confirmation did, or that nothing waited for it.</returns>
    public async Task<PlacementOutcome> ConfirmFencedAsync(string node, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        if (!_started || _stop.IsCancellationRequested)
        {
            return ConfirmWithoutLoop(node);
        }
        var done = new TaskCompletionSource<PlacementOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new ConfirmInput(node, done));
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<PlacementOutcome> CommandAsync(string command, GroupSet set, CancellationToken cancellationToken)
    {
        if (!_started || _stop.IsCancellationRequested)
        {
            return Refused("the resource manager is not running");
        }
        var done = new TaskCompletionSource<PlacementOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new CommandInput(command, set, done));
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private PlacementOutcome RunCommand(string command, GroupSet set)
    {
        if (_peer is null)
        {
            return Refused($"there is no peer to move groups to or from ({_mode})");
        }
        if (!_stable)
        {
            return Refused($"the initial placement is not decided yet (waiting for the state of {_peer}); try again in a moment");
        }
        if (_takeover is { } pending)
        {
            return Refused($"a takeover from {_peer} waits for fencing ({pending.LastFailure ?? "in progress"}); once you know {_peer} is off, run 'tandem fence confirm {_peer}'");
        }
        switch (command)
        {
            case "standby":
            {
                if (!PeerUp)
                {
                    return Refused($"{_peer} is not up: there is nobody to hand groups to; they stay here");
                }
                var moving = _slots.Where(s => InSet(s, set) && s.Holder == GroupHolder.Me && (s.ActiveHere || s.Busy)).ToList();
                foreach (var slot in moving)
                {
                    _events.Publish("group.standby", slot.Name, $"an operator hands {slot.Name} to {_peer}", Data(slot));
                    Stop(slot, $"standby: an operator hands {slot.Name} to {_peer}", ReleaseCode.Handover, 0);
                }
                return new PlacementOutcome(true, [.. moving.Select(s => s.Name)], moving.Count == 0
                    ? $"no group of the set '{SetName(set)}' runs here: nothing to hand over"
                    : $"stopping {Count(moving.Count, "group")} here; {_peer} starts each once it is stopped");
            }
            case "takeover":
            {
                var wanted = _slots.Where(s => InSet(s, set) && !(s.Holder == GroupHolder.Me && (s.ActiveHere || s.Busy))).ToList();
                foreach (var slot in wanted)
                {
                    slot.FailedHere = false; // the operator says: try again here
                }
                var startHere = wanted.Where(s => s.Holder == GroupHolder.Me || !PeerUp).ToList();
                var ask = wanted.Except(startHere).ToList();
                if (ask.Count > 0 && !PeerUp)
                {
                    return Refused($"{_peer} is not up and holds {string.Join(", ", ask.Select(s => s.Name))}");
                }
                foreach (var slot in startHere)
                {
                    Start(slot, "takeover: an operator wants it here");
                }
                foreach (var slot in ask)
                {
                    _events.Publish("group.takeover-requested", slot.Name, $"an operator wants {slot.Name} here; asking {_peer} to release it", Data(slot));
                }
                if (ask.Count > 0)
                {
                    Request(ask, "an operator's takeover on " + Me);
                }
                return new PlacementOutcome(true, [.. wanted.Select(s => s.Name)], wanted.Count == 0
                    ? $"every group of the set '{SetName(set)}' already runs here"
                    : $"{(ask.Count > 0 ? $"asking {_peer} to release {string.Join(", ", ask.Select(s => s.Name))}; " : "")}"
                      + $"{(startHere.Count > 0 ? $"starting {string.Join(", ", startHere.Select(s => s.Name))} here" : "each starts here once released")}");
            }
            default:
            {
                if (!PeerUp)
                {
                    return Refused($"{_peer} is not up: groups cannot move to their preferred node now");
                }
                var giveBack = _slots.Where(s => !IsPreferredHere(s) && s.Holder == GroupHolder.Me && (s.ActiveHere || s.Busy)).ToList();
                var takeBack = _slots.Where(s => IsPreferredHere(s) && s.Holder != GroupHolder.Me).ToList();
                foreach (var slot in giveBack)
                {
                    _events.Publish("group.failback", slot.Name, $"failback: handing {slot.Name} to {_peer}, its preferred node", Data(slot));
                    Stop(slot, $"failback: {slot.Name} goes back to {_peer}, its preferred node", ReleaseCode.Handover, 0);
                }
                foreach (var slot in takeBack)
                {
                    slot.FailedHere = false;
                    _events.Publish("group.failback", slot.Name, $"failback: asking {_peer} for {slot.Name}, whose preferred node is {Me}", Data(slot));
                }
                if (takeBack.Count > 0)
                {
                    Request(takeBack, "failback: every group to its preferred node");
                }
                var all = giveBack.Concat(takeBack).OrderBy(s => s.Index).Select(s => s.Name).ToList();
                return new PlacementOutcome(true, all, all.Count == 0 ? "every group already runs on its preferred node" : $"moving {Count(all.Count, "group")} to its preferred node");
            }
        }
    }

    private PlacementOutcome ConfirmFenced(string node)
    {
        var manualWaiting = _fencing.Coordinator.Devices.OfType<ManualFenceDevice>().Any(m => m.Waiting.Contains(node, StringComparer.OrdinalIgnoreCase));
        if (manualWaiting || _takeover is null || !string.Equals(node, _peer, StringComparison.OrdinalIgnoreCase))
        {
            return ConfirmWithoutLoop(node);
        }
        _events.Publish("fencing.operator-confirmed", node,
            $"an operator confirmed that {node} is off (tandem fence confirm); its groups are taken over without a successful fence");
        var groups = _takeover.Groups.ToList();
        CompleteTakeover($"an operator confirmed that {node} is off", "OperatorConfirmed");
        return new PlacementOutcome(true, groups, $"taking over {string.Join(", ", groups)} from {node}");
    }

    private PlacementOutcome ConfirmWithoutLoop(string node) =>
        _fencing.Coordinator.Confirm(node)
            ? new PlacementOutcome(true, [], $"the manual fencing of {node} is confirmed; its takeover proceeds")
            : Refused($"nothing waits for a confirmation that {node} is off (no manual fencing of it, no blocked takeover from it)");

    private bool InSet(GroupSlot slot, GroupSet set) => set switch
    {
        GroupSet.Local => IsPreferredHere(slot),
        GroupSet.Foreign => !IsPreferredHere(slot),
        _ => true,
    };

    private static string SetName(GroupSet set) => set.ToString().ToLowerInvariant();

    /// <inheritdoc/>
    public object GetSnapshot() => GetGroups();

    /// <summary>The <c>groups</c> status section: each group, where it runs, its state here and on the peer, each resource.</summary>
    /// <returns>The groups.</returns>
    public GroupStatus[] GetGroups()
    {
        lock (_lock)
        {
            return [.. _slots.Select(slot => new GroupStatus
            {
                Name = slot.Name,
                PreferredNode = slot.Spec.PreferredNode,
                RunningOn = slot.ActiveHere ? Me
                    : slot.PeerState is { } ps && GroupSlot.IsActive(ps) && PeerUp ? _peer
                    : null,
                State = slot.ReportedState.ToString().ToLowerInvariant(),
                PeerState = slot.PeerState is not { } peerState ? null
                    : PeerUp ? peerState.ToString().ToLowerInvariant()
                    : $"{peerState.ToString().ToLowerInvariant()} (last known; {_peer} is gone)",
                Holder = slot.Holder switch { GroupHolder.Me => Me, GroupHolder.Peer => _peer, _ => null },
                RunningSince = slot.RunningSince,
                FailedHere = slot.FailedHere,
                Blocked = BlockedText(slot),
                Resources = [.. slot.Runner.Resources.Select(GroupResourceStatus.From)],
            })];
        }
    }

    /// <summary>Why a group waits, with the latest fencing failure while a takeover waits for fencing to succeed.</summary>
    private string? BlockedText(GroupSlot slot)
    {
        if (_takeover is { } t && t.Groups.Contains(slot.Name) && t.LastFailure is null
            && _fencing.Coordinator.LastResults.TryGetValue(_peer!, out var last) && !last.Result.Success && last.Time >= t.Since)
        {
            return $"{slot.Blocked}; fencing {_peer} has not succeeded yet (last attempt: {last.Result.Detail}); "
                + $"the group stays down until it does, or run 'tandem fence confirm {_peer}' once you know it is off";
        }
        return slot.Blocked;
    }

    /// <summary>The <c>failover</c> status section: the peer as the resource manager sees it, and any takeover waiting for fencing.</summary>
    /// <returns>The snapshot.</returns>
    public FailoverStatus GetFailoverSnapshot()
    {
        lock (_lock)
        {
            return new FailoverStatus(
                _mode,
                _peer,
                _peer is null ? null : PeerUp ? "up" : _peerLost ? (_peerLeftCleanly ? "left" : "lost") : "unknown",
                Mode(_node.Spec.AutoFailback),
                _fencing.Coordinator.Disabled ? "DISABLED" : "enabled",
                _stable,
                _takeover is { } t
                    ? $"waiting since {t.Since.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}Z to take over {string.Join(", ", t.Groups)} from {_peer} "
                      + $"(attempt {t.Attempts.ToString(CultureInfo.InvariantCulture)}): {t.Reason}{(t.LastFailure is null ? "; fencing in progress" : "; last attempt: " + t.LastFailure)}"
                    : null);
        }
    }
}
