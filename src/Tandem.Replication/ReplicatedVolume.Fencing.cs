using Tandem.Replication.Metadata;

namespace Tandem.Replication;

// Fencing and outdate (drbd.md §5.3): a Primary that loses its peer fences it (the fence-peer
// callback or handler outdates it through another channel); resource-and-stonith freezes writes
// until that succeeds. An Outdated replica refuses promotion without --force.
public sealed partial class ReplicatedVolume
{
    private readonly List<TaskCompletionSource> _held = [];
    private TaskCompletionSource? _frozen;

    /// <summary>Whether application writes are frozen (resource-and-stonith while fencing the peer).</summary>
    public bool IoFrozen
    {
        get
        {
            lock (_lock)
            {
                return _frozen is not null;
            }
        }
    }

    /// <summary>
    /// Marks this replica's data Outdated (DRBD's <c>outdate</c>): consistent but stale, so it
    /// refuses promotion without --force. Persisted in the metadata; cleared when a connection
    /// finds it in sync with, or resynced from, an UpToDate peer. The fence-peer path of the
    /// Primary calls this on the Secondary (through the cluster channel). Refused on a Primary
    /// and while connected.
    /// </summary>
    /// <param name="cancellationToken">Cancels the metadata write.</param>
    /// <returns>The disk state afterwards: Outdated, or Inconsistent/Diskless when the data was already worse.</returns>
    /// <exception cref="InvalidOperationException">This node is Primary or connected.</exception>
    public async Task<DiskState> OutdateAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        DiskState disk;
        lock (_lock)
        {
            if (_role == Role.Primary)
            {
                throw new InvalidOperationException($"{Resource}: refusing to outdate a Primary");
            }
            if (_session is not null)
            {
                throw new InvalidOperationException($"{Resource}: refusing to outdate while connected to the peer; disconnect first");
            }
            disk = _disk.StateLocked;
        }
        return await _disk.OutdateAsync(disk, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Thaws writes frozen by resource-and-stonith fencing (DRBD's <c>resume-io</c>), after the operator made sure the peer cannot write.</summary>
    /// <returns>Completes at once.</returns>
    public Task ResumeIoAsync()
    {
        Thaw("resume-io");
        return Task.CompletedTask;
    }

    /// <summary>Called under the lock when a session is lost: whether to fence, and under resource-and-stonith freeze writes.</summary>
    private bool BeginFencingLocked(DiskState peerDiskBefore)
    {
        var fence = _options.Fencing != FencingPolicy.DontCare && _role == Role.Primary && _disk.StateLocked == DiskState.UpToDate
            && peerDiskBefore is DiskState.UpToDate or DiskState.Consistent;
        if (fence && _options.Fencing == FencingPolicy.ResourceAndStonith)
        {
            _frozen ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        return fence;
    }

    private async Task FenceAfterLossAsync(string reason)
    {
        if (_options.Fencing == FencingPolicy.ResourceAndStonith)
        {
            Log.IoSuspended(_events.Logger, Resource, "frozen", "fencing the peer (resource-and-stonith)");
            _events.Publish("volume.io", "I/O frozen while fencing the peer", ("state", "frozen"));
        }
        var result = await CallFencePeerAsync($"lost the peer: {reason}").ConfigureAwait(false) ?? FencePeerResult.Failed;
        if (Fenced(result))
        {
            Thaw($"the peer is fenced ({result})");
        }
        else if (IoFrozen)
        {
            Log.IoSuspended(_events.Logger, Resource, "stays frozen", $"fencing failed ({result}); make sure the peer cannot write, then resume I/O");
            _events.Publish("volume.io", $"I/O stays frozen: fencing the peer failed ({result}); resume it when the peer cannot write", ("state", "frozen"));
        }
    }

    private static bool Fenced(FencePeerResult result) =>
        result is FencePeerResult.PeerOutdated or FencePeerResult.PeerInconsistent or FencePeerResult.PeerFenced;

    private async Task MarkPeerOutdatedAsync(FencePeerResult result)
    {
        await _disk.MarkPeerOutdatedAsync().ConfigureAwait(false);
        lock (_lock)
        {
            if (_session is null)
            {
                _peerDisk = result == FencePeerResult.PeerInconsistent ? DiskState.Inconsistent : DiskState.Outdated;
            }
        }
    }

    /// <summary>Calls the fence-peer callback, else the handler; null when neither is configured.</summary>
    private async Task<FencePeerResult?> CallFencePeerAsync(string reason)
    {
        if (_options.FencePeer is null && _options.FencePeerHandler is null)
        {
            _events.Publish("volume.fencing", "no fence-peer callback or handler is configured", ("phase", "skipped"), ("policy", FencingName));
            return null;
        }
        Log.FencingStarted(_events.Logger, Resource, _options.Fencing, reason);
        _events.Publish("volume.fencing", $"fencing the peer: {reason}", ("phase", "started"), ("policy", FencingName));
        FencePeerResult result;
        if (_options.FencePeer is { } fence)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            limit.CancelAfter(_options.HandlerTimeout);
            try
            {
                result = await fence(Resource, limit.Token).WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                result = FencePeerResult.Failed;
            }
        }
        else
        {
            var code = await _events.RunHandlerAsync("fence-peer", _options.FencePeerHandler).ConfigureAwait(false);
            result = code is >= 3 and <= 7 ? (FencePeerResult)code.Value : FencePeerResult.Failed;
        }
        Log.FencingResult(_events.Logger, Resource, result);
        if (Fenced(result))
        {
            await MarkPeerOutdatedAsync(result).ConfigureAwait(false);
        }
        _events.Publish("volume.fencing", $"fencing the peer returned {result}", ("phase", "finished"), ("policy", FencingName), ("result", result.ToString()));
        return result;
    }

    private string FencingName => _options.Fencing switch
    {
        FencingPolicy.ResourceOnly => "resource-only",
        FencingPolicy.ResourceAndStonith => "resource-and-stonith",
        _ => "dont-care",
    };

    /// <summary>
    /// Before promoting without a connected peer that is not known outdated (DRBD 9), fence it:
    /// the peer may be a Primary cut off from us. Refuses the promotion if fencing fails.
    /// </summary>
    private async Task FenceBeforePromoteAsync()
    {
        bool needed;
        lock (_lock)
        {
            needed = _options.Fencing != FencingPolicy.DontCare && _session is null && (_md.Flags & MetadataFlags.PeerOutdated) == 0;
        }
        if (!needed)
        {
            return;
        }
        var result = await CallFencePeerAsync("promoting without a connected peer").ConfigureAwait(false);
        if (result is null)
        {
            return; // nothing configured: as dont-care (reported by the event)
        }
        if (!Fenced(result.Value))
        {
            throw new InvalidOperationException(
                $"{Resource}: refusing to promote: fencing the peer returned {result}; it may be Primary with newer data (fence it, or promote with --force)");
        }
    }

    private void Thaw(string reason)
    {
        TaskCompletionSource? frozen;
        List<TaskCompletionSource> held;
        lock (_lock)
        {
            frozen = _frozen;
            if (frozen is null)
            {
                return;
            }
            _frozen = null;
            held = [.. _held];
            _held.Clear();
        }
        foreach (var h in held)
        {
            h.TrySetResult();
        }
        frozen.TrySetResult();
        Log.IoSuspended(_events.Logger, Resource, "resumed", reason);
        _events.Publish("volume.io", $"I/O resumed: {reason}", ("state", "resumed"));
    }
}
