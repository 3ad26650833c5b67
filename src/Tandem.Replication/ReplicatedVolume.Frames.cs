using System.Buffers.Binary;
using System.Text;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Uuids;

namespace Tandem.Replication;

public sealed partial class ReplicatedVolume
{
    /// <summary>One handler per frame type the peer may send after the handshake.</summary>
    private FrameDispatcher CreateFrameDispatcher() => new FrameDispatcher()
        // Replication (Secondary side): writes, epochs.
        .On(FrameType.Data, OnDataAsync)
        .On(FrameType.Barrier, OnBarrierAsync)
        // Transfer log (Primary side): the peer's answers to writes and epochs.
        .On(FrameType.RecvAck, OnWriteAck)
        .On(FrameType.WriteAck, OnWriteAck)
        .On(FrameType.NegAck, OnNegAck)
        .On(FrameType.BarrierAck, OnBarrierAck)
        // After the handshake: the bitmap exchange, then the resync.
        .On(FrameType.BitmapChunk, OnBitmapChunk)
        .On(FrameType.BitmapDone, (s, _, ct) => AfterBitmapExchangeAsync(s, ct))
        .On(FrameType.SyncStart, OnSyncStartAsync)
        .On(FrameType.ResyncData, OnResyncDataAsync)
        .On(FrameType.ResyncBatch, OnResyncBatchAsync)
        .On(FrameType.ResyncInSync, OnResyncInSync)
        .On(FrameType.SyncDone, OnSyncDoneAsync)
        .On(FrameType.ResyncAck, OnResyncAck)
        .On(FrameType.ResyncBatchAck, OnResyncBatchAck)
        // Digests (online verify, checksum resync).
        .On(FrameType.DigestRequest, OnDigestRequestAsync)
        .On(FrameType.DigestReply, OnDigestReply)
        // Reads served by the peer (a diskless node), out-of-sync notices, resize.
        .On(FrameType.DataRequest, OnDataRequestAsync)
        .On(FrameType.DataReply, OnDataReply)
        .On(FrameType.NegDataReply, OnNegDataReply)
        .On(FrameType.OutOfSync, OnOutOfSyncAsync)
        .On(FrameType.ResizeRequest, OnResizeRequestAsync)
        .On(FrameType.ResizeReply, OnResizeReply)
        // The peer's state, keep-alive, errors.
        .On(FrameType.State, OnStateAsync)
        .On(FrameType.Ping, static (s, _) => s.Send(FrameType.PingAck, [], control: true))
        .On(FrameType.PingAck, static (_, _) => { })
        .On(FrameType.Error, static (_, payload) => throw new ProtocolException($"the peer reported: {Encoding.UTF8.GetString(payload)}"));

    private static (ulong Id, long Offset, int Length) ParseAck(byte[] payload, string what) =>
        ReplicationMessages.TryParseAck(payload, out var ack) ? ack : throw new ProtocolException($"malformed {what}");

    private void OnBitmapChunk(PeerSession s, byte[] payload)
    {
        if (!ReplicationMessages.TryParseBitmapChunk(payload, out var first, out var words))
        {
            throw new ProtocolException("malformed bitmap chunk");
        }
        _md.Bitmap.MergeAt(first, words);
    }

    /// <summary>The SyncSource starts: this side becomes Inconsistent until SyncDone.</summary>
    private async Task OnSyncStartAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (!ReplicationMessages.TryParseUuids(payload, out var sync, out _))
        {
            throw new ProtocolException("malformed sync start");
        }
        await _md.UpdateAsync(u => new GenerationUuids(sync.Current & ~1UL, 0, u.History0, u.History1),
            f => f & ~(MetadataFlags.Consistent | MetadataFlags.WasUpToDate), ct).ConfigureAwait(false);
        await _md.FlushBitmapAsync(ct).ConfigureAwait(false);
        SetDisk(DiskState.Inconsistent, "resync target");
        lock (_lock)
        {
            _replication = ReplicationState.SyncTarget;
            s.Resync = new ResyncProgress(_md.Bitmap.OutOfSyncBytes, _time.GetUtcNow(), ReplicationState.SyncTarget);
        }
        Log.SyncStarted(_logger, Resource, ReplicationState.SyncTarget, _md.Bitmap.OutOfSyncBytes);
        Publish("volume.sync.started", "sync target", ("role", "SyncTarget"), ("bytes", _md.Bitmap.OutOfSyncBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>An epoch's end: every write of it arrived (the loop is sequential); acknowledged once stable.</summary>
    private async Task OnBarrierAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (!ReplicationMessages.TryParseBarrier(payload, out var epoch, out var setSize))
        {
            throw new ProtocolException("malformed barrier");
        }
        if (setSize != s.EpochWrites)
        {
            throw new ProtocolException($"barrier #{epoch} announces {setSize} writes, {s.EpochWrites} arrived");
        }
        // Write ordering "drain" acknowledges now, "flush" (disk-flushes, the default) first
        // makes them stable, before the next epoch too.
        if (LocalDiskAttached && _options.DiskFlushes)
        {
            try
            {
                await LocalAsync(() => _backing.FlushAsync(ct)).ConfigureAwait(false);
            }
            catch (IOException) when (!LocalDiskAttached)
            {
                // Detached: the writes of this epoch were negatively acknowledged or are marked.
            }
        }
        s.SendAck(FrameType.BarrierAck, ReplicationMessages.Barrier(epoch, setSize));
        s.EpochWrites = 0;
    }

    private void OnNegAck(PeerSession s, byte[] payload) => OnNegAck(ParseAck(payload, "negative ack").Id);

    private void OnWriteAck(PeerSession s, byte[] payload) => OnWriteAck(ParseAck(payload, "ack").Id);

    private void OnBarrierAck(PeerSession s, byte[] payload)
    {
        if (!ReplicationMessages.TryParseBarrier(payload, out var epoch, out var setSize))
        {
            throw new ProtocolException("malformed barrier ack");
        }
        OnBarrierAck(epoch, setSize);
    }

    private Task OnDataRequestAsync(PeerSession s, byte[] payload, CancellationToken ct) =>
        ServeDataRequestAsync(s, ParseAck(payload, "data request"), ct);

    private static void OnDataReply(PeerSession s, byte[] payload)
    {
        if (payload.Length < 8)
        {
            throw new ProtocolException("malformed data reply");
        }
        if (s.Reads.TryRemove(BinaryPrimitives.ReadUInt64BigEndian(payload), out var reader))
        {
            reader.TrySetResult(payload[8..]);
        }
    }

    private void OnNegDataReply(PeerSession s, byte[] payload)
    {
        var nack = ParseAck(payload, "negative data reply");
        if (s.Reads.TryRemove(nack.Id, out var reader))
        {
            reader.TrySetException(new VolumeException(VolumeError.Io, $"{Resource}: the peer could not read {nack.Offset}+{nack.Length}"));
        }
    }

    private async Task OnOutOfSyncAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (!ReplicationMessages.TryParseAck(payload, out var oos) || oos.Offset + oos.Length > Size)
        {
            throw new ProtocolException("malformed out-of-sync notice");
        }
        _md.Bitmap.Set(oos.Offset, oos.Length);
        if (oos.Id == AheadNotice)
        {
            await OnPeerAheadAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Checksum resync: the SyncSource found this range equal here.</summary>
    private void OnResyncInSync(PeerSession s, byte[] payload)
    {
        var ack = ParseAck(payload, "in-sync notice");
        _md.Bitmap.Clear(ack.Offset, ack.Length);
        s.Send(FrameType.ResyncAck, ReplicationMessages.Ack(0, ack.Offset, ack.Length), control: true);
    }

    /// <summary>The digests of a range (online verify, checksum resync), from the local data.</summary>
    private async Task OnDigestRequestAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (payload.Length <= ReplicationMessages.AckSize || !ReplicationMessages.TryParseAck(payload.AsSpan(0, ReplicationMessages.AckSize), out var req))
        {
            throw new ProtocolException("malformed digest request");
        }
        var alg = Encoding.ASCII.GetString(payload, ReplicationMessages.AckSize, payload.Length - ReplicationMessages.AckSize);
        if (!BlockDigest.IsKnown(alg) || req.Length > FrameHeader.ResyncChunk || req.Offset + req.Length > Size)
        {
            throw new ProtocolException($"bad digest request ({alg}, {req.Offset}+{req.Length})");
        }
        var data = new byte[req.Length];
        await LocalAsync(() => _backing.ReadAsync(req.Offset, data, ct)).ConfigureAwait(false);
        var digests = BlockDigest.Compute(alg, data);
        var reply = new byte[12 + digests.Length];
        BinaryPrimitives.WriteInt64BigEndian(reply, req.Offset);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(8), BlockDigest.Size(alg));
        digests.CopyTo(reply, 12);
        s.Send(FrameType.DigestReply, reply, control: true);
    }

    private static void OnDigestReply(PeerSession s, byte[] payload)
    {
        if (payload.Length < 12)
        {
            throw new ProtocolException("malformed digest reply");
        }
        var offset = BinaryPrimitives.ReadInt64BigEndian(payload);
        if (s.Digests.TryRemove(offset, out var waiter))
        {
            waiter.TrySetResult(payload[12..]);
        }
    }

    private void OnResyncAck(PeerSession s, byte[] payload)
    {
        var ack = ParseAck(payload, "resync ack");
        _md.Bitmap.Clear(ack.Offset, ack.Length);
        Interlocked.Add(ref s.AckedBytes, ack.Length);
        s.Window.Release();
    }

    private void OnResyncBatchAck(PeerSession s, byte[] payload)
    {
        if (!ReplicationMessages.TryParseAck(payload, out var ack) || !s.Batches.TryRemove(ack.Id, out var runs))
        {
            throw new ProtocolException("malformed resync batch ack, or the ack of a batch never sent");
        }
        long total = 0;
        foreach (var (offset, length) in runs)
        {
            _md.Bitmap.Clear(offset, length);
            total += length;
        }
        Interlocked.Add(ref s.AckedBytes, total);
        s.Window.Release(BatchSlots);
    }

    /// <summary>The SyncSource is done: this side is UpToDate with its generation.</summary>
    private async Task OnSyncDoneAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (!ReplicationMessages.TryParseUuids(payload, out var uuids, out var skip))
        {
            throw new ProtocolException("malformed sync done");
        }
        _md.Bitmap.ClearAll();
        await LocalAsync(() => _backing.FlushAsync(ct)).ConfigureAwait(false);
        await _md.FlushBitmapAsync(ct).ConfigureAwait(false);
        await _md.UpdateAsync(_ => uuids with { Current = uuids.Current & ~1UL },
            f => (f | MetadataFlags.Consistent | MetadataFlags.WasUpToDate) & ~(MetadataFlags.CrashedPrimary | MetadataFlags.FullSync), ct).ConfigureAwait(false);
        SetDisk(DiskState.UpToDate, skip == 1 ? "initial sync skipped by the peer" : "resync finished");
        lock (_lock)
        {
            _replication = ReplicationState.Established;
            _peerDisk = DiskState.UpToDate;
            s.Resync = null;
        }
        if (skip != 1)
        {
            Log.SyncFinished(_logger, Resource);
            Publish("volume.sync.finished", "sync target done", ("role", "SyncTarget"));
            NotifyHandler("after-resync-target");
        }
        s.SendState(Role, Disk);
    }

    /// <summary>The peer's role and disk changed.</summary>
    private async Task OnStateAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (payload.Length != 2 || payload[0] > (byte)Role.Primary || payload[1] > (byte)DiskState.UpToDate)
        {
            throw new ProtocolException("malformed state");
        }
        DiskState oldPeerDisk;
        lock (_lock)
        {
            oldPeerDisk = _peerDisk;
            _peerRole = (Role)payload[0];
            _peerDisk = (DiskState)payload[1];
        }
        var newPeerDisk = (DiskState)payload[1];
        if (newPeerDisk <= DiskState.Failed && oldPeerDisk > DiskState.Failed)
        {
            Publish("volume.peer-disk", $"the peer's disk is {newPeerDisk}", ("old", oldPeerDisk.ToString()), ("new", newPeerDisk.ToString()));
            await OnPeerDisklessAsync(ct).ConfigureAwait(false);
        }
        if (newPeerDisk == DiskState.UpToDate)
        {
            await ClearPeerOutdatedAsync(ct).ConfigureAwait(false);
        }
    }
}
