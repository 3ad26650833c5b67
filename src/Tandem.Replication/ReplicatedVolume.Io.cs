using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Protocol;
using Tandem.Replication.Writes;

namespace Tandem.Replication;

public sealed partial class ReplicatedVolume
{
    /// <inheritdoc />
    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        CheckRange(offset, buffer.Length);
        var disk = Disk;
        if (disk == DiskState.UpToDate)
        {
            try
            {
                await LocalAsync(() => _backing.ReadAsync(offset, buffer, cancellationToken)).ConfigureAwait(false);
                return;
            }
            catch (IOException) when (!_disk.Attached)
            {
                // Detached by this error: the peer serves the read (diskless primary, §6).
            }
        }
        else if (disk is not (DiskState.Diskless or DiskState.Failed))
        {
            // Refuse stale data.
            throw new VolumeException(VolumeError.Io, $"{Resource}: local data is {disk}, not UpToDate");
        }
        await ReadFromPeerAsync(offset, buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool forceUnitAccess, CancellationToken cancellationToken) =>
        SubmitAsync(offset, data.Length, data, zeroes: false, forceUnitAccess, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<bool> WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        if ((flags & WriteZeroesFlags.FastOnly) != 0)
        {
            return false;
        }
        // Replicated as ordinary writes of at most 1 MiB each, so the peer gets the same zeros.
        var fua = (flags & WriteZeroesFlags.ForceUnitAccess) != 0;
        while (length > 0)
        {
            var n = (int)Math.Min(length, FrameHeader.MaxData);
            await SubmitAsync(offset, n, new byte[n], zeroes: true, fua, cancellationToken).ConfigureAwait(false);
            offset += n;
            length -= n;
        }
        return true;
    }

    /// <inheritdoc />
    public ValueTask TrimAsync(long offset, long length, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        // Advisory: doing nothing keeps both replicas identical.
        CheckRange(offset, length);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Completes only after the local flush and the peer's barrier ack for every earlier write (drbd.md §1.1 improvement).</remarks>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (!_disk.Attached && PeerDisk != DiskState.UpToDate)
        {
            throw new VolumeException(VolumeError.Io, $"{Resource}: no local disk and no UpToDate peer");
        }
        // The barrier goes first, so that the peer's flush and ours run at the same time: the
        // flush is done when both are, in whichever order.
        Task wait;
        lock (_lock)
        {
            CloseEpochLocked(direct: _inflight == 0);
            wait = _log.LastClosed()?.Acked.Task ?? Task.CompletedTask;
        }
        if (_disk.Attached)
        {
            try
            {
                await LocalAsync(() => _backing.FlushAsync(cancellationToken)).ConfigureAwait(false);
            }
            catch (IOException) when (!_disk.Attached && PeerDisk == DiskState.UpToDate)
            {
                // Detached: the peer's barrier ack below is what makes the data durable.
            }
        }
        await InlineWaitAsync(wait, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for <paramref name="task"/> or the cancellation, continuing inline on the thread that
    /// completes it. (<see cref="Task.WaitAsync(CancellationToken)"/> continues through the thread
    /// pool: a hop and a wake-up per write, measured in docs/benchmarks.md.)
    /// </summary>
    private static Task InlineWaitAsync(Task task, CancellationToken cancellationToken)
    {
        if (task.IsCompleted || !cancellationToken.CanBeCanceled)
        {
            return task;
        }
        var mine = new TaskCompletionSource();
        var registration = cancellationToken.UnsafeRegister(static (s, ct) => ((TaskCompletionSource)s!).TrySetCanceled(ct), mine);
        task.ContinueWith(static (t, s) =>
        {
            var (mine, registration) = ((TaskCompletionSource, CancellationTokenRegistration))s!;
            registration.Dispose();
            if (t.IsFaulted)
            {
                mine.TrySetException(t.Exception!.InnerExceptions);
            }
            else if (t.IsCanceled)
            {
                mine.TrySetCanceled();
            }
            else
            {
                mine.TrySetResult();
            }
        }, (mine, registration), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return mine.Task;
    }

    private async ValueTask SubmitAsync(long offset, int length, ReadOnlyMemory<byte> data, bool zeroes, bool fua, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        CheckRange(offset, length);
        lock (_lock)
        {
            if (_role != Role.Primary)
            {
                throw new VolumeException(VolumeError.ReadOnly, $"{Resource}: this node is {_role}; only the Primary accepts writes");
            }
            var disk = _disk.StateLocked;
            if (disk is not (DiskState.UpToDate or DiskState.Diskless or DiskState.Failed)) // Failed: detaching now
            {
                throw new VolumeException(VolumeError.Io, $"{Resource}: local disk is {disk}");
            }
        }
        if (length == 0)
        {
            return;
        }
        while (true)
        {
            var ready = ReadyTask();
            if (ready.IsCompleted)
            {
                lock (_lock)
                {
                    if (ReadyTask().IsCompleted)
                    {
                        _inflight++;
                        break;
                    }
                }
                continue;
            }
            await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        try
        {
            await WriteAdmittedAsync(offset, length, data, fua, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                if (--_inflight == 0)
                {
                    _drained?.TrySetResult();
                }
            }
        }
    }

    private async Task WriteAdmittedAsync(long offset, int length, ReadOnlyMemory<byte> data, bool fua, CancellationToken cancellationToken)
    {
        // The AL transaction is metadata I/O on the same disk: its failure fails the disk too.
        if (!_disk.Attached || !await BeginActivityAsync(offset, length, cancellationToken).ConfigureAwait(false))
        {
            await WriteDisklessAsync(offset, data, fua, cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                _log.CloseRequested = true;
            }
            return;
        }
        ReplicatedWrite? request = null;
        IOException? localError = null;
        try
        {
            await EnsureGenerationAsync(cancellationToken).ConfigureAwait(false);
            await _stripes.LockAsync(offset, length, cancellationToken).ConfigureAwait(false);
            try
            {
                lock (_lock)
                {
                    // The frame refers to the caller's buffer, not a copy: the write completes
                    // only once the peer has it or the connection's sender has stopped
                    // (CompleteLostWrites), so nothing reads the buffer after the caller reuses it.
                    request = EnqueueLocked(offset, data, fua);
                    if (request is null)
                    {
                        _md.Bitmap.Set(offset, length);
                    }
                }
                try
                {
                    // Once the peer gets the write it is not cancelled here either: else the
                    // replicas would differ with no bit in the bitmap to say so.
                    var local = request is null ? cancellationToken : CancellationToken.None;
                    await LocalAsync(() => _backing.WriteAsync(offset, data, fua, local)).ConfigureAwait(false);
                }
                catch (IOException ex) when (request is not null)
                {
                    // The peer gets it anyway: detach serves the write from there; pass_on reports
                    // the error once the peer has it.
                    localError = ex;
                }
            }
            finally
            {
                _stripes.Unlock(offset, length);
            }
            if (request is null)
            {
                // Not replicated although the generation check above found a peer (it went away,
                // or Ahead began): this write must belong to a new generation too.
                await EnsureGenerationAsync(cancellationToken).ConfigureAwait(false);
            }
            if (request is not null)
            {
                await WaitReplicatedAsync(request, fua, cancellationToken).ConfigureAwait(false);
            }
            if (localError is not null)
            {
                AfterReplicatedLocalError(offset, length, localError);
            }
        }
        finally
        {
            if (request is null)
            {
                // Not replicated: the bitmap holds it; the AL may let the extent go.
                _md.ActivityLog.Complete(offset, length);
            }
            else if (!request.NetOk.Task.IsCompleted)
            {
                // Failing (cancelled) after the frame was queued: the caller reuses its buffer
                // once we return, so not before the peer has the frame or the sender stopped.
                await request.NetOk.Task.ConfigureAwait(false);
            }
        }
        lock (_lock)
        {
            // A write completed to the upper layer: later writes may depend on it (§1.2).
            _log.CloseRequested = true;
        }
    }

    /// <summary>
    /// Waits until the peer has a replicated write as the protocol promises (<see cref="ReplicatedWrite.NetOk"/>);
    /// for FUA also until its epoch is stable there (closed when the write was queued, or now).
    /// </summary>
    private async Task WaitReplicatedAsync(ReplicatedWrite request, bool fua, CancellationToken cancellationToken)
    {
        // Not cancellable: the frame refers to the caller's buffer until NetOk (see EnqueueLocked's callers).
        await InlineWaitAsync(request.NetOk.Task, CancellationToken.None).ConfigureAwait(false);
        if (!fua)
        {
            return;
        }
        Task acked;
        lock (_lock)
        {
            if (request.Epoch.Number == _log.CurrentEpoch)
            {
                CloseEpochLocked();
            }
            acked = request.Epoch.Acked.Task;
        }
        await InlineWaitAsync(acked, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues the write for the peer if replicating; null when not (the caller marks the bitmap).</summary>
    private ReplicatedWrite? EnqueueLocked(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        var s = _session;
        if (s is not null && _replication == ReplicationState.Ahead)
        {
            AheadLocked(s, offset, data.Length);
            return null;
        }
        if (s is null || _replication is not (ReplicationState.Established or ReplicationState.SyncSource or ReplicationState.SyncTarget)
            || _peerDisk <= DiskState.Failed)
        {
            return null; // no peer, or a diskless peer: the bitmap records the write
        }
        if (_replication == ReplicationState.Established && CongestedLocked(leaving: false) && OnCongestionLocked(s, offset, data.Length))
        {
            return null;
        }
        // The only write in flight (queue depth 1) goes out on this thread, without waking the
        // send loop; with more in flight the send loop batches them.
        var direct = _inflight <= 1;
        if (_log.CloseRequested || _log.OpenEpochWrites >= _options.MaxEpochSize)
        {
            CloseEpochLocked(direct);
        }
        var request = _log.Add(offset, data.Length);
        var epoch = request.Epoch;
        var flags = (fua ? DataFlags.Fua : DataFlags.None) | _options.Protocol switch
        {
            ReplicationProtocol.B => DataFlags.SendReceiveAck,
            ReplicationProtocol.C => DataFlags.SendWriteAck,
            _ => DataFlags.None,
        };
        var head = new byte[DataHeader.Size];
        new DataHeader(offset, request.Id, epoch.Number, flags).Format(head);
        // Protocol A completes when the frame was handed to the socket.
        if (!s.Connection.Enqueue(FrameType.Data, head, data, control: false, _options.Protocol == ReplicationProtocol.A ? request.NetOk : null, direct))
        {
            request.NetOk.TrySetResult(); // lost meanwhile: the loss handler marks the bitmap
        }
        if (fua)
        {
            // Its barrier follows at once: the peer writes and flushes while we write locally,
            // one round trip for the data and its durability instead of two.
            CloseEpochLocked(direct);
        }
        return request;
    }

    /// <summary>Closes the open epoch and sends its barrier (nothing when it is empty).</summary>
    private void CloseEpochLocked(bool direct = false)
    {
        if (_log.Close() is { } barrier)
        {
            _session?.Connection.Enqueue(FrameType.Barrier, ReplicationMessages.Barrier(barrier.Number, barrier.SetSize), default, control: false, direct: direct);
        }
    }

    /// <summary>The peer confirmed an epoch stable: its requests leave the transfer log.</summary>
    private void OnBarrierAck(uint number, uint setSize)
    {
        Epoch epoch;
        lock (_lock)
        {
            epoch = _log.Acknowledge(number, setSize);
        }
        foreach (var r in epoch.Requests)
        {
            r.NetOk.TrySetResult();
            _md.ActivityLog.Complete(r.Offset, r.Length);
        }
        epoch.Acked.TrySetResult();
    }

    private void OnWriteAck(ulong id)
    {
        ReplicatedWrite? r;
        lock (_lock)
        {
            r = _log.Find(id);
        }
        r?.NetOk.TrySetResult();
    }

    /// <summary>
    /// The peer is gone: every write it has not confirmed stable may be missing there, so its
    /// blocks are marked out of sync, and the writes will complete on local success alone, once
    /// the connection's sender has stopped (<see cref="CompleteLostWrites"/>): until then a frame
    /// may still be read from the caller's buffer.
    /// </summary>
    private LostWrites FailTransferLogLocked()
    {
        var lost = new LostWrites();
        foreach (var epoch in _log.Clear())
        {
            foreach (var r in epoch.Requests)
            {
                _md.Bitmap.Set(r.Offset, r.Length);
                _md.ActivityLog.Complete(r.Offset, r.Length);
                (r.Diskless ? lost.Diskless : lost.Complete).Add(r.NetOk);
                lost.Count++;
            }
            lost.Complete.Add(epoch.Acked);
        }
        return lost;
    }

    /// <summary>
    /// Completes the writes a lost connection left unconfirmed (its sender has stopped): held
    /// while I/O is frozen for fencing (resource-and-stonith), else done, and a diskless node's
    /// writes failed, since the peer held their only copy.
    /// </summary>
    private void CompleteLostWrites(LostWrites lost)
    {
        lock (_lock)
        {
            if (_frozen is not null)
            {
                _held.AddRange(lost.Complete);
                lost.Complete.Clear();
            }
        }
        if (lost.Complete.Count == 0 && lost.Diskless.Count == 0)
        {
            return;
        }
        // NetOk runs its waiter inline (see ReplicatedWrite): the rest of each write and its reply run
        // on the thread pool, not on the connection's teardown.
        var resource = Resource;
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            foreach (var tcs in state.Lost.Complete)
            {
                tcs.TrySetResult();
            }
            foreach (var tcs in state.Lost.Diskless)
            {
                tcs.TrySetException(new VolumeException(VolumeError.Io, $"{state.Resource}: connection lost before the peer confirmed a write of this diskless node"));
            }
        }, (Lost: lost, Resource: resource), preferLocal: false);
    }

    /// <summary>What <see cref="FailTransferLogLocked"/> took out of the transfer log.</summary>
    private sealed class LostWrites
    {
        /// <summary>Writes (and epochs) that complete on local success.</summary>
        public List<TaskCompletionSource> Complete { get; } = [];

        /// <summary>Writes of a diskless node, which fail.</summary>
        public List<TaskCompletionSource> Diskless { get; } = [];

        /// <summary>How many writes were still waiting for the peer.</summary>
        public int Count { get; set; }
    }

    private async Task WaitTransferLogEmptyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_log.Count == 0)
                {
                    return;
                }
                CloseEpochLocked();
                wait = _log.LastClosed()?.Acked.Task ?? Task.CompletedTask;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A Primary writing without its peer starts a new data generation on the first such write (see <see cref="ReplicaDisk.EnsureGenerationAsync"/>).</summary>
    private async Task EnsureGenerationAsync(CancellationToken cancellationToken)
    {
        bool replicating;
        lock (_lock)
        {
            replicating = _session is not null && _replication is ReplicationState.Established or ReplicationState.SyncSource or ReplicationState.SyncTarget
                && _peerDisk > DiskState.Failed;
        }
        await _disk.EnsureGenerationAsync(replicating, cancellationToken).ConfigureAwait(false);
    }

    private Task ReadyTask()
    {
        lock (_lock)
        {
            if (_frozen is not null)
            {
                return _frozen.Task; // resource-and-stonith: frozen while fencing the peer
            }
            if (_gate is not null)
            {
                return _gate.Task;
            }
            return _replication == ReplicationState.WaitingForBitmap && _session is not null ? _session.Ready.Task : Task.CompletedTask;
        }
    }

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Size || length > Size - offset)
        {
            throw new VolumeException(VolumeError.Invalid, $"range {offset}+{length} is outside 0..{Size}");
        }
    }
}
