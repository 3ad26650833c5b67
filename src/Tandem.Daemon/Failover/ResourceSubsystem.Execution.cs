using Tandem.Fencing;
using Tandem.Membership.Messaging;
using Tandem.Resources.Groups;
using Tandem.Resources.Placement;

namespace Tandem.Daemon.Failover;

public sealed partial class ResourceSubsystem
{
    /// <summary>Carries out the engine's commands in order; with the lock held. Nothing here decides.</summary>
    private void Execute(IReadOnlyList<PlacementCommand> commands)
    {
        foreach (var command in commands)
        {
            switch (command)
            {
                case StartGroup s:
                    RunOperation(s.Group, GroupOperation.Start, s.Reason);
                    break;
                case StopGroup s:
                    RunOperation(s.Group, GroupOperation.Stop, s.Reason);
                    break;
                case SendToPeer m:
                    Send(m.Message);
                    break;
                case AuthorizeTakeover a:
                    Authorize(a);
                    break;
                case CancelTakeover c when _takeovers.Remove(c.Epoch, out var cts):
                    // Not disposed here: a fencing or timer of that takeover may still hold its token.
                    cts.Cancel();
                    break;
                case AnnounceCleanDeparture d:
                    // Publishes fencing.unneeded: a clean departure needs no fencing.
                    _ = _fencing.Coordinator.AuthorizeTakeoverAsync(d.Peer, leftCleanly: true, CancellationToken.None);
                    break;
                case PublishEvent e:
                    _events.Publish(e.Kind, e.Subject, e.Reason, e.Data);
                    break;
                case ScheduleTimer t:
                    Schedule(t);
                    break;
                case AnswerOperator a:
                    _answer = a.Outcome;
                    break;
                case LogTakeover l:
                    LogTakeover(_logger, l.Groups, l.Peer, l.How);
                    break;
                case LogBadMessage b:
                    LogBadMessage(_logger, b.Peer, b.Reason);
                    break;
            }
        }
    }

    private void RunOperation(string group, GroupOperation operation, string reason)
    {
        var runner = _runners[group];
        Track(async () =>
        {
            var result = operation == GroupOperation.Start
                ? await StartRunnerAsync(runner, reason).ConfigureAwait(false)
                : await StopRunnerAsync(group, reason).ConfigureAwait(false);
            Post(new GroupOperationEnded(group, operation, result));
        }, operation: true);
    }

    private async Task<GroupResult> StartRunnerAsync(GroupRunner runner, string reason)
    {
        try
        {
            return await runner.StartAsync(reason, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // any failure of the runner is a failed start, reported like one
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogRunnerFailed(_logger, e, runner.Group.Name, "start");
            return new GroupResult(runner.Group.Name, GroupOutcome.StartFailed, "the start failed unexpectedly inside Tandem (the daemon's log has the details)");
        }
    }

    private async Task<GroupResult> StopRunnerAsync(string group, string reason)
    {
        try
        {
            return await _runners[group].StopAsync(reason, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a stop that throws may have left the group running: a failed stop
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogRunnerFailed(_logger, e, group, "stop");
            return new GroupResult(group, GroupOutcome.StopFailedNeedsFencing, "the stop failed unexpectedly inside Tandem (the daemon's log has the details); the group may still run here");
        }
    }

    private void Authorize(AuthorizeTakeover a)
    {
        if (!_takeovers.TryGetValue(a.Epoch, out var cts))
        {
            cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            _takeovers[a.Epoch] = cts;
        }
        var token = cts.Token;
        Track(async () =>
        {
            try
            {
                var decision = await _fencing.Coordinator.AuthorizeTakeoverAsync(a.Peer, leftCleanly: false, token).ConfigureAwait(false);
                Post(new TakeoverAnswered(a.Epoch, decision.Allowed, decision.Basis.ToString(), How(decision)));
            }
            catch (OperationCanceledException)
            {
                // Cancelled: the peer came back, an operator confirmed, or this node stops.
            }
        });
    }

    /// <summary>How a takeover decision reads in the takeover's events.</summary>
    private string How(TakeoverDecision decision) => !decision.Allowed ? decision.Reason : decision.Basis switch
    {
        TakeoverBasis.Fenced => $"{_peer} was fenced ({decision.Reason})",
        TakeoverBasis.FencingDisabled => "WITHOUT FENCING (fencing is disabled in the configuration)",
        _ => decision.Reason,
    };

    private void Schedule(ScheduleTimer t)
    {
        // A takeover's retry ends with the takeover; the other timers with the subsystem.
        var token = t.Timer is PlacementTimer.TakeoverRetry r && _takeovers.TryGetValue(r.Epoch, out var cts) ? cts.Token : _stop.Token;
        Track(async () =>
        {
            try
            {
                await Task.Delay(t.Due, _time, token).ConfigureAwait(false);
                Post(new TimerFired(t.Timer));
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    private void Send(PlacementMessage message)
    {
        if (_channel is not { } channel || _peer is not { } peer)
        {
            return;
        }
        var bytes = message.Format();
        var token = _stop.Token;
        Track(async () =>
        {
            try
            {
                await channel.SendAsync(peer, bytes, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is PeerRestartedException or OperationCanceledException or ObjectDisposedException)
            {
                // The peer restarted or we stop: its new run gets a fresh state message.
            }
        });
    }

    /// <summary>
    /// Runs a task the subsystem owns until it ends: a group operation (shutdown waits for it before
    /// it stops the groups), or background work (a send, a timer, a fencing) that ends with the
    /// subsystem's cancellation.
    /// </summary>
    private void Track(Func<Task> work, bool operation = false)
    {
        var list = operation ? _operations : _background;
        var task = Task.Run(work);
        list.Add(task);
        _ = task.ContinueWith(t =>
        {
            lock (_lock)
            {
                list.Remove(t);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
