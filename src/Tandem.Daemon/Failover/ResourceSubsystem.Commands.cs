using System.Globalization;
using Tandem.Daemon.Status;
using Tandem.Fencing.Devices;
using Tandem.Resources.Groups;
using Tandem.Resources.Placement;

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
    public Task<PlacementOutcome> StandbyAsync(GroupSet set, CancellationToken cancellationToken) => CommandAsync(OperatorCommandKind.Standby, set, cancellationToken);

    /// <summary>
    /// <c>tandem takeover</c>: asks the peer to release the groups of the set that it holds, and
    /// starts them here; a group that failed here, or is blocked by a stop that failed, is tried again.
    /// </summary>
    /// <param name="set">Which groups, relative to this node.</param>
    /// <param name="cancellationToken">Stops waiting for the decision.</param>
    /// <returns>The groups being moved, or why not.</returns>
    public Task<PlacementOutcome> TakeoverAsync(GroupSet set, CancellationToken cancellationToken) => CommandAsync(OperatorCommandKind.Takeover, set, cancellationToken);

    /// <summary><c>tandem failback</c>: moves every group to its preferred node (gives foreign groups back, asks for local ones).</summary>
    /// <param name="cancellationToken">Stops waiting for the decision.</param>
    /// <returns>The groups being moved, or why not.</returns>
    public Task<PlacementOutcome> FailbackAsync(CancellationToken cancellationToken) => CommandAsync(OperatorCommandKind.Failback, GroupSet.All, cancellationToken);

    /// <summary>
    /// <c>tandem fence confirm NODE</c>: an operator promises that <paramref name="node"/> is off.
    /// Completes a manual fencing that waits for it; otherwise, when a takeover from that node waits
    /// for a fencing that has not succeeded (or a group is blocked by a stop that failed there), the
    /// takeover proceeds on the operator's word.
    /// </summary>
    /// <param name="node">The node that is off.</param>
    /// <param name="cancellationToken">Stops waiting for the decision.</param>
    /// <returns>What the confirmation did, or that nothing waited for it.</returns>
    public async Task<PlacementOutcome> ConfirmFencedAsync(string node, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        if (!_started || _stop.IsCancellationRequested)
        {
            return ConfirmWithoutEngine(node);
        }
        return await AskAsync(engine =>
        {
            var manualWaiting = _fencing.Coordinator.Devices.OfType<ManualFenceDevice>().Any(m => m.Waiting.Contains(node, StringComparer.OrdinalIgnoreCase));
            return manualWaiting || !engine.WaitsForConfirmation(node) ? null : new OperatorConfirmedFenced(node);
        }, () => ConfirmWithoutEngine(node), cancellationToken).ConfigureAwait(false);
    }

    private async Task<PlacementOutcome> CommandAsync(OperatorCommandKind kind, GroupSet set, CancellationToken cancellationToken)
    {
        if (!_started || _stop.IsCancellationRequested)
        {
            return Refused("the resource manager is not running");
        }
        if (_peer is null || _runners.Count == 0)
        {
            return Refused($"there is no peer to move groups to or from ({_mode})");
        }
        return await AskAsync(_ => new OperatorCommand(kind, set), () => Refused("the resource manager is not running"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Feeds an operator's input to the engine on the loop (in turn with every other input) and returns its answer.</summary>
    private async Task<PlacementOutcome> AskAsync(Func<PlacementEngine, PlacementInput?> input, Func<PlacementOutcome> otherwise, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<PlacementOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new OperatorTurn(engine =>
        {
            if (input(engine) is not { } ask)
            {
                done.TrySetResult(otherwise());
                return;
            }
            _answer = null;
            Decide(ask);
            done.TrySetResult(_answer ?? otherwise());
        }));
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private PlacementOutcome ConfirmWithoutEngine(string node) =>
        _fencing.Coordinator.Confirm(node)
            ? new PlacementOutcome(true, [], $"the manual fencing of {node} is confirmed; its takeover proceeds")
            : Refused($"nothing waits for a confirmation that {node} is off (no manual fencing of it, no blocked takeover from it)");

    private static PlacementOutcome Refused(string why) => new(false, [], why);

    /// <inheritdoc/>
    public object GetSnapshot() => GetGroups();

    /// <summary>The <c>groups</c> status section: each group, where it runs, its state here and on the peer, each resource.</summary>
    /// <returns>The groups.</returns>
    public GroupStatus[] GetGroups()
    {
        lock (_lock)
        {
            if (_engine is not { } engine)
            {
                return [];
            }
            return [.. engine.Groups.Select(g =>
            {
                var runner = _runners[g.Name];
                // The runner knows the finer state here (recovering); the engine knows a start is decided before the runner begins it.
                var state = g.State == PlacementState.Starting && runner.State is GroupState.Stopped or GroupState.Failed ? GroupState.Starting : runner.State;
                return new GroupStatus
                {
                    Name = g.Name,
                    PreferredNode = g.Spec.PreferredNode,
                    RunningOn = g.ActiveHere ? Me
                        : g.PeerState is { } ps && ps is not (GroupState.Stopped or GroupState.Failed) && engine.PeerUp ? _peer
                        : null,
                    State = state.ToString().ToLowerInvariant(),
                    Placement = g.State.ToString().ToLowerInvariant(),
                    PeerState = g.PeerState is not { } peerState ? null
                        : engine.PeerUp ? peerState.ToString().ToLowerInvariant()
                        : $"{peerState.ToString().ToLowerInvariant()} (last known; {_peer} is gone)",
                    Holder = engine.HolderOf(g) switch { GroupHolder.Me => Me, GroupHolder.Peer => _peer, _ => null },
                    RunningSince = g.RunningSince,
                    FailedHere = g.FailedHere,
                    Blocked = WaitingText(engine, g),
                    Resources = [.. runner.Resources.Select(GroupResourceStatus.From)],
                };
            })];
        }
    }

    /// <summary>Why a group waits, with the latest fencing failure while a takeover waits for fencing to succeed.</summary>
    private string? WaitingText(PlacementEngine engine, GroupPlacement g)
    {
        if (g.State is PlacementState.Running or PlacementState.Starting or PlacementState.Stopping or PlacementState.Peer or PlacementState.Undecided or PlacementState.Stopped or PlacementState.FailbackPending)
        {
            return null;
        }
        if (engine.Takeover is { } t && t.Groups.Contains(g.Name) && t.LastFailure is null
            && _fencing.Coordinator.LastResults.TryGetValue(_peer!, out var last) && !last.Result.Success && last.Time >= t.Since)
        {
            return $"{g.Waiting}; fencing {_peer} has not succeeded yet (last attempt: {last.Result.Detail}); "
                + $"the group stays down until it does, or run 'tandem fence confirm {_peer}' once you know it is off";
        }
        return g.Waiting;
    }

    /// <summary>The <c>failover</c> status section: the peer as the resource manager sees it, and any takeover waiting for fencing.</summary>
    /// <returns>The snapshot.</returns>
    public FailoverStatus GetFailoverSnapshot()
    {
        lock (_lock)
        {
            var engine = _engine;
            return new FailoverStatus(
                _mode,
                _peer,
                _peer is null || engine is null ? null : engine.PeerUp ? "up" : engine.PeerLost ? (engine.PeerLeftCleanly ? "left" : "lost") : "unknown",
                Mode(_node.Spec.AutoFailback),
                _fencing.Coordinator.Disabled ? "DISABLED" : "enabled",
                engine?.Stable ?? false,
                engine?.Takeover is { } t
                    ? $"waiting since {t.Since.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}Z to take over {string.Join(", ", t.Groups)} from {_peer} "
                      + $"(attempt {t.Attempts.ToString(CultureInfo.InvariantCulture)}): {t.Reason}{(t.LastFailure is null ? "; fencing in progress" : "; last attempt: " + t.LastFailure)}"
                    : null);
        }
    }
}
