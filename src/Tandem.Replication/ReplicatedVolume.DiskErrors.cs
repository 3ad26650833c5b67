using System.Buffers.Binary;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Writes;

namespace Tandem.Replication;

// Local disk errors (drbd.md §6): on-io-error detach / pass_on / call-local-io-error, disk-timeout,
// and the diskless mode that serves reads and writes from the peer after a detach.
public sealed partial class ReplicatedVolume
{
    private long _nextReadId;

    /// <summary>Runs one local request under disk-timeout; a failure applies the on-io-error policy and is rethrown.</summary>
    private async ValueTask LocalAsync(Func<ValueTask> io)
    {
        try
        {
            if (_options.DiskTimeout > TimeSpan.Zero)
            {
                await io().AsTask().WaitAsync(_options.DiskTimeout, _time).ConfigureAwait(false);
            }
            else
            {
                await io().ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            // The request may still complete later; the disk is no longer used (drbd.md §6 warns
            // that a late completion is why disk-timeout is "dangerous" in the kernel; our buffers
            // are private copies, so it only costs the detach).
            var reason = $"disk-timeout: a local request did not complete within {_options.DiskTimeout.TotalSeconds:0.#} s";
            OnLocalIoError(reason);
            throw new VolumeException(VolumeError.Io, $"{Resource}: {reason}");
        }
        catch (IOException ex)
        {
            OnLocalIoError(ex.Message);
            throw;
        }
    }

    private void OnLocalIoError(string reason)
    {
        Log.IoError(_events.Logger, Resource, reason);
        var policy = _options.OnIoError;
        _events.Publish("volume.io-error", reason, ("policy", policy switch
        {
            OnIoErrorPolicy.PassOn => "pass_on",
            OnIoErrorPolicy.CallLocalIoError => "call-local-io-error",
            _ => "detach",
        }));
        if (policy == OnIoErrorPolicy.PassOn)
        {
            return; // the caller gets the error; the disk stays attached
        }
        if (Detach(reason) && policy == OnIoErrorPolicy.CallLocalIoError)
        {
            _ = _events.RunHandlerAsync("local-io-error", _options.LocalIoErrorHandler);
        }
    }

    /// <summary>Drops the local disk: Failed, then Diskless; tells the peer. Returns false if it was already detached.</summary>
    private bool Detach(string reason)
    {
        if (!_disk.TryDetach(reason))
        {
            return false;
        }
        PeerSession? s;
        lock (_lock)
        {
            s = _session;
        }
        s?.SendState(Role, DiskState.Diskless);
        return true;
    }

    /// <summary>Takes the activity-log slot of a write; false when the disk detached on the metadata error (the peer serves the write).</summary>
    private async ValueTask<bool> BeginActivityAsync(long offset, int length, CancellationToken cancellationToken)
    {
        try
        {
            await LocalAsync(() => _md.ActivityLog.BeginAsync(offset, length, cancellationToken)).ConfigureAwait(false);
            return true;
        }
        catch (IOException) when (!_disk.Attached)
        {
            return false;
        }
    }

    /// <summary>A write of a diskless Primary: replicated only; it fails unless an UpToDate peer takes it.</summary>
    private async Task WriteDisklessAsync(long offset, ReadOnlyMemory<byte> data, bool fua, CancellationToken cancellationToken)
    {
        ReplicatedWrite? request;
        lock (_lock)
        {
            if (_peerDisk == DiskState.UpToDate && _session is { Extended: true })
            {
                // The frame refers to the caller's buffer, as for any replicated write.
                request = EnqueueLocked(offset, data, fua);
                if (request is not null)
                {
                    request.Diskless = true;
                }
            }
            else
            {
                request = null;
            }
        }
        if (request is null)
        {
            throw new VolumeException(VolumeError.Io, $"{Resource}: no local disk and no UpToDate peer (on-no-data-accessible io-error)");
        }
        await WaitReplicatedAsync(request, fua, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads from the peer (diskless Primary, or a failed local read under detach).</summary>
    private async ValueTask ReadFromPeerAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, FrameHeader.MaxData);
            PeerSession? s;
            lock (_lock)
            {
                s = _session is { Extended: true } && _peerDisk == DiskState.UpToDate ? _session : null;
            }
            if (s is null)
            {
                throw new VolumeException(VolumeError.Io, $"{Resource}: no local disk and no UpToDate peer to read from");
            }
            var id = (ulong)Interlocked.Increment(ref _nextReadId);
            var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            s.Reads[id] = reply;
            byte[] data;
            try
            {
                using var lost = s.Cts.Token.Register(() => reply.TrySetException(new VolumeException(VolumeError.Io, $"{Resource}: connection lost during a read from the peer")));
                // On the bulk queue: after every write sent before it, so the peer reads what was written.
                s.Send(FrameType.DataRequest, ReplicationMessages.Ack(id, offset, n), control: false);
                data = await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                s.Reads.TryRemove(id, out _);
            }
            if (data.Length != n)
            {
                throw new VolumeException(VolumeError.Io, $"{Resource}: the peer returned {data.Length} bytes for a {n}-byte read");
            }
            data.CopyTo(buffer);
            offset += n;
            buffer = buffer[n..];
        }
    }

    /// <summary>Peer side of a diskless read: reply with the data, or a negative reply when this node cannot serve it.</summary>
    private async Task ServeDataRequestAsync(PeerSession s, (ulong Id, long Offset, int Length) req, CancellationToken ct)
    {
        if (req.Offset + req.Length > Size)
        {
            throw new ProtocolException($"read {req.Offset}+{req.Length} beyond the agreed size {Size}");
        }
        if (Disk == DiskState.UpToDate)
        {
            var reply = new byte[8 + req.Length];
            BinaryPrimitives.WriteUInt64BigEndian(reply, req.Id);
            try
            {
                await LocalAsync(() => _backing.ReadAsync(req.Offset, reply.AsMemory(8), ct)).ConfigureAwait(false);
                s.Connection.Enqueue(FrameType.DataReply, default, reply, control: false);
                return;
            }
            catch (IOException)
            {
                // Fall through to the negative reply; the policy was applied.
            }
        }
        s.Send(FrameType.NegDataReply, ReplicationMessages.Ack(req.Id, req.Offset, req.Length), control: true);
    }

    /// <summary>The peer could not write a replicated block: it is out of sync there; the write stands on the local disk alone.</summary>
    private void OnNegAck(ulong id)
    {
        ReplicatedWrite? r;
        lock (_lock)
        {
            r = _log.Find(id);
            if (r is not null)
            {
                _md.Bitmap.Set(r.Offset, r.Length);
            }
        }
        if (r is null)
        {
            return;
        }
        if (r.Diskless)
        {
            r.NetOk.TrySetException(new VolumeException(VolumeError.Io, $"{Resource}: the peer failed the write and there is no local disk"));
        }
        else
        {
            r.NetOk.TrySetResult();
        }
        PeerSession? s;
        lock (_lock)
        {
            s = _role == Role.Primary && _peerDisk == DiskState.UpToDate && _replication == ReplicationState.Established ? _session : null;
        }
        if (s is not null && Interlocked.Exchange(ref s.NegAckResync, 1) == 0)
        {
            // The peer kept its disk (pass_on): copy the blocks it failed to write once more.
            _ = ResyncNegAckedAsync(s);
        }
    }

    private async Task ResyncNegAckedAsync(PeerSession s)
    {
        try
        {
            await Task.Yield();
            if (Replication == ReplicationState.Established)
            {
                await _resyncSource.StartAsync(s, "resync of blocks the peer failed to write", s.Cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The session ended: the reconnect resyncs the marked blocks.
        }
        finally
        {
            Interlocked.Exchange(ref s.NegAckResync, 0);
        }
    }

    /// <summary>A replicated write failed locally but reached the peer.</summary>
    private void AfterReplicatedLocalError(long offset, int length, IOException error)
    {
        if (_disk.Attached)
        {
            // pass_on: the peer has newer data for these blocks than this disk.
            _md.Bitmap.Set(offset, length);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error is VolumeException ? error : new VolumeException(VolumeError.Io, error.Message, error));
        }
        // Detached: the peer holds the only copy; its bitmap tracks what this disk misses.
        PeerSession? s;
        lock (_lock)
        {
            s = _session;
        }
        if (s is { Extended: true })
        {
            s.Send(FrameType.OutOfSync, ReplicationMessages.Ack(0, offset, length), control: false);
        }
    }
}
