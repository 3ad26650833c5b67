using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tandem.Core.Membership;
using Tandem.Daemon.Failover;
using Tandem.Fencing;
using Tandem.Membership.Messaging;
using Tandem.Replication;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// Fencing <c>resource-only</c> through the cluster (DRBD's outdate-peer, done over the membership's
/// cluster channel instead of dopd): the <see cref="ReplicatedVolumeOptions.FencePeer"/> callback of
/// this node's replicas asks the peer node to mark its copy Outdated, and this node answers the
/// peer's requests by outdating its own replica.
/// </summary>
/// <remarks>
/// The answer maps to DRBD's fence-peer exit codes: the peer outdated its copy (4), it was already
/// Inconsistent (3), it is Primary and refused (6). A peer that membership declared dead was fenced
/// (7) when the fencing coordinator fenced it since it went silent (resource-and-stonith fences it
/// here when nobody did), else it is unreachable (5), as is a live peer that does not answer in time.
/// </remarks>
internal sealed partial class PeerOutdater : IAsyncDisposable
{
    /// <summary>How long a live peer has to answer (drbd-peer-outdater's -t 5, with room for a loaded machine).</summary>
    private static readonly TimeSpan s_answerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often a wait for the answer looks whether membership declared the peer dead meanwhile.</summary>
    private static readonly TimeSpan s_deadCheck = TimeSpan.FromMilliseconds(250);

    private readonly string _me;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MembershipSubsystem? _membership;
    private readonly FencingSubsystem? _fencing;
    private readonly Func<string, string, CancellationToken, Task<OutdateMessage>> _outdateLocal;
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<OutdateMessage>> _pending = new();
    private readonly Channel<ClusterMessage> _inbox = Channel.CreateUnbounded<ClusterMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private readonly Lock _lock = new();
    private ClusterChannel? _channel;
    private Task? _loop;
    private int _nextId;
    private int _disposed;

    /// <summary>Creates the outdater; nothing runs until <see cref="Start"/>.</summary>
    /// <param name="me">This node's name.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="membership">Membership (the channel and the peer's liveness), or null.</param>
    /// <param name="fencing">The fencing coordinator's host, or null.</param>
    /// <param name="outdateLocal">Outdates a local replica for a peer: (from node, export name) to the reply.</param>
    public PeerOutdater(string me, TimeProvider time, ILogger logger, MembershipSubsystem? membership, FencingSubsystem? fencing,
        Func<string, string, CancellationToken, Task<OutdateMessage>> outdateLocal)
    {
        _me = me;
        _time = time;
        _logger = logger;
        _membership = membership;
        _fencing = fencing;
        _outdateLocal = outdateLocal;
    }

    /// <summary>Whether the cluster channel is there (membership runs): only then is the callback used.</summary>
    public bool Available => _channel is not null;

    /// <summary>Takes this protocol's messages off the cluster channel, when membership runs.</summary>
    public void Start()
    {
        if (_membership?.Service is not { } service)
        {
            return;
        }
        _channel = service.Channel;
        _channel.Route(OutdateMessage.Prefix, m => _inbox.Writer.TryWrite(m));
        _loop = ReceiveLoopAsync(_stop.Token);
    }

    /// <summary>
    /// The fence-peer callback of a replica: asks <paramref name="peer"/> to outdate its copy of
    /// <paramref name="volume"/>, or, if the peer is dead, finds out whether it was fenced.
    /// </summary>
    /// <param name="peer">The peer node.</param>
    /// <param name="volume">The export name (the same on both nodes).</param>
    /// <param name="policy">The volume's fencing policy.</param>
    /// <param name="cancellationToken">The library's handler timeout.</param>
    /// <returns>The result, as a fence-peer handler's exit code would give it.</returns>
    public async Task<FencePeerResult> FencePeerAsync(string peer, string volume, FencingPolicy policy, CancellationToken cancellationToken)
    {
        if (_channel is not { } channel)
        {
            return FencePeerResult.PeerUnreachable;
        }
        if (IsDead(peer))
        {
            return await DeadPeerAsync(peer, volume, policy, cancellationToken).ConfigureAwait(false);
        }
        var id = (uint)Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<OutdateMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            LogAsking(_logger, peer, volume);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            limit.CancelAfter(s_answerTimeout);
            var request = OutdateMessage.Request(id, volume, $"{_me} lost its replication link to {peer}").Format();
            // The send completes on the peer's acknowledgement; the reply may even come first.
            _ = channel.SendAsync(peer, request, limit.Token).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            while (true)
            {
                var tick = Task.Delay(s_deadCheck, _time, limit.Token);
                var done = await Task.WhenAny(reply.Task, tick).ConfigureAwait(false);
                if (done == reply.Task)
                {
                    var answer = await reply.Task.ConfigureAwait(false);
                    LogAnswer(_logger, peer, volume, answer.Result, answer.Disk, answer.Detail);
                    return answer.Result;
                }
                if (tick.IsCanceled)
                {
                    LogNoAnswer(_logger, peer, volume);
                    return IsDead(peer) ? await DeadPeerAsync(peer, volume, policy, cancellationToken).ConfigureAwait(false) : FencePeerResult.PeerUnreachable;
                }
                if (IsDead(peer))
                {
                    return await DeadPeerAsync(peer, volume, policy, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        Task[] running;
        lock (_lock)
        {
            running = [.. _running];
        }
        await Task.WhenAll(running).ConfigureAwait(false);
        foreach (var pending in _pending.Values)
        {
            pending.TrySetCanceled();
        }
        _stop.Dispose();
    }

    /// <summary>The peer's membership, from the detector's latest typed view (not from the event log).</summary>
    private MemberView? Member(string peer) => _membership?.Service?.Detector.View.Find(peer);

    private bool IsDead(string peer) => Member(peer)?.Status is MemberStatus.Dead or MemberStatus.Left;

    /// <summary>A peer declared dead cannot outdate itself: it counts as fenced when the takeover rule allows its takeover.</summary>
    private async Task<FencePeerResult> DeadPeerAsync(string peer, string volume, FencingPolicy policy, CancellationToken cancellationToken)
    {
        var leftCleanly = Member(peer)?.Status == MemberStatus.Left;
        var since = _membership?.Service?.Detector.Snapshot().FirstOrDefault(p => string.Equals(p.Node, peer, StringComparison.OrdinalIgnoreCase))?.SinceLastHeard;
        var silentSince = _time.GetUtcNow() - (since ?? TimeSpan.Zero);
        var coordinator = _fencing?.Coordinator;
        var fencedSinceSilent = coordinator is not null && coordinator.LastResults.TryGetValue(peer, out var last) && last.Result.Success && last.Time >= silentSince;
        // resource-and-stonith: the handler "should STONITH if it cannot outdate" (drbd.md §5.3);
        // with resource-only it must not fence, so there is nothing that could make the peer safe.
        var canFence = coordinator is not null && policy == FencingPolicy.ResourceAndStonith && coordinator.DevicesFor(peer).Count > 0;
        var ruling = TakeoverRule.Decide(new TakeoverFacts(leftCleanly, fencedSinceSilent, coordinator?.Disabled ?? false, canFence));
        switch (ruling.Step)
        {
            case TakeoverStep.Allow:
                // A clean departure closed (demoted) its replica first; a fenced node is off; with
                // fencing disabled the volume follows the cluster's rule rather than block every failover.
                LogDeadPeer(_logger, peer, volume, ruling.Basis switch
                {
                    TakeoverBasis.LeftCleanly => "it left the cluster cleanly",
                    TakeoverBasis.Fenced => "it was fenced since it went silent",
                    _ => "fencing is DISABLED in the cluster configuration: a dead node counts as fenced",
                });
                return FencePeerResult.PeerFenced;
            case TakeoverStep.FenceFirst:
                var result = await coordinator!.FenceAsync(peer, $"{peer} is dead and may still be Primary of {volume}", cancellationToken).ConfigureAwait(false);
                LogDeadPeer(_logger, peer, volume, result.Success ? "fenced it" : $"fencing it failed: {result.Detail}");
                return result.Success ? FencePeerResult.PeerFenced : FencePeerResult.Failed;
            default:
                LogDeadPeer(_logger, peer, volume, "it is dead and was not fenced");
                return FencePeerResult.PeerUnreachable;
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var message in _inbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                OutdateMessage parsed;
                try
                {
                    parsed = OutdateMessage.Parse(message.Payload.Span);
                }
                catch (FormatException e)
                {
                    LogBadMessage(_logger, message.From, e.Message);
                    continue;
                }
                if (parsed.IsReply)
                {
                    if (_pending.TryGetValue(parsed.Id, out var waiting))
                    {
                        waiting.TrySetResult(parsed);
                    }
                    continue;
                }
                // Outdating waits for the replica to notice the lost link: never hold up the next message.
                lock (_lock)
                {
                    _running.RemoveAll(t => t.IsCompleted);
                    _running.Add(AnswerAsync(message.From, parsed, cancellationToken));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task AnswerAsync(string from, OutdateMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await _outdateLocal(from, request.Volume, cancellationToken).ConfigureAwait(false);
            reply = reply with { IsReply = true, Id = request.Id, Volume = request.Volume };
            LogAnswered(_logger, from, request.Volume, reply.Result, reply.Disk, reply.Detail);
            await _channel!.SendAsync(from, reply.Format(), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (PeerRestartedException)
        {
            // The asking node restarted: its request is void.
        }
#pragma warning disable CA1031 // an answer that fails must be logged, not fault a task nobody observes
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogAnswerFailed(_logger, e, from, request.Volume);
        }
    }

    [LoggerMessage(EventId = 344, EventName = "Tandem.Daemon.OutdateAsking", Level = LogLevel.Information,
        Message = "Fencing: asking {Peer} to outdate its copy of {Volume}")]
    private static partial void LogAsking(ILogger logger, string peer, string volume);

    [LoggerMessage(EventId = 345, EventName = "Tandem.Daemon.OutdateAnswer", Level = LogLevel.Information,
        Message = "Fencing: {Peer} answered for {Volume}: {Result} (disk {Disk}) {Detail}")]
    private static partial void LogAnswer(ILogger logger, string peer, string volume, FencePeerResult result, DiskState disk, string detail);

    [LoggerMessage(EventId = 346, EventName = "Tandem.Daemon.OutdateNoAnswer", Level = LogLevel.Warning,
        Message = "Fencing: {Peer} did not answer the outdate request for {Volume} in time")]
    private static partial void LogNoAnswer(ILogger logger, string peer, string volume);

    [LoggerMessage(EventId = 347, EventName = "Tandem.Daemon.OutdateDeadPeer", Level = LogLevel.Warning,
        Message = "Fencing: {Peer} is dead, so it cannot outdate {Volume}: {Outcome}")]
    private static partial void LogDeadPeer(ILogger logger, string peer, string volume, string outcome);

    [LoggerMessage(EventId = 348, EventName = "Tandem.Daemon.OutdateAnswered", Level = LogLevel.Information,
        Message = "Outdate request from {Peer} for {Volume}: {Result} (disk {Disk}) {Detail}")]
    private static partial void LogAnswered(ILogger logger, string peer, string volume, FencePeerResult result, DiskState disk, string detail);

    [LoggerMessage(EventId = 350, EventName = "Tandem.Daemon.OutdateAnswerFailed", Level = LogLevel.Error,
        Message = "Answering the outdate request of {Peer} for {Volume} failed")]
    private static partial void LogAnswerFailed(ILogger logger, Exception exception, string peer, string volume);

    [LoggerMessage(EventId = 349, EventName = "Tandem.Daemon.OutdateBadMessage", Level = LogLevel.Warning,
        Message = "Ignored an outdate message from {Peer}: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string peer, string reason);
}
