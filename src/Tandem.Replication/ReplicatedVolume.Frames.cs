using System.Buffers.Binary;
using System.Text;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Resync;
using Tandem.Replication.Verify;

namespace Tandem.Replication;

public sealed partial class ReplicatedVolume
{
    /// <summary>One handler per frame type the peer may send after the handshake.</summary>
    private FrameDispatcher CreateFrameDispatcher(ResyncTarget resyncTarget, PeerDigests digests) => new FrameDispatcher()
        // Replication (Secondary side): writes, epochs.
        .On(FrameType.Data, OnDataAsync)
        .On(FrameType.Barrier, OnBarrierAsync)
        // Transfer log (Primary side): the peer's answers to writes and epochs.
        .On(FrameType.RecvAck, OnWriteAck)
        .On(FrameType.WriteAck, OnWriteAck)
        .On(FrameType.NegAck, OnNegAck)
        .On(FrameType.BarrierAck, OnBarrierAck)
        // After the handshake: the bitmap exchange, then the resync (each side's frames), and
        // the digests of online verify and checksum resync.
        .On(FrameType.BitmapChunk, OnBitmapChunk)
        .On(FrameType.BitmapDone, (s, _, ct) => AfterBitmapExchangeAsync(s, ct))
        .With(resyncTarget.Register)
        .With(_resyncSource.Register)
        .With(digests.Register)
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

    private void OnBitmapChunk(PeerSession s, byte[] payload)
    {
        if (!ReplicationMessages.TryParseBitmapChunk(payload, out var first, out var words))
        {
            throw new ProtocolException("malformed bitmap chunk");
        }
        _md.Bitmap.MergeAt(first, words);
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
        if (_disk.Attached && _options.DiskFlushes)
        {
            try
            {
                await LocalAsync(() => _backing.FlushAsync(ct)).ConfigureAwait(false);
            }
            catch (IOException) when (!_disk.Attached)
            {
                // Detached: the writes of this epoch were negatively acknowledged or are marked.
            }
        }
        s.SendAck(FrameType.BarrierAck, ReplicationMessages.Barrier(epoch, setSize));
        s.EpochWrites = 0;
    }

    private void OnNegAck(PeerSession s, byte[] payload) => OnNegAck(ReplicationMessages.ParseAck(payload, "negative ack").Id);

    private void OnWriteAck(PeerSession s, byte[] payload) => OnWriteAck(ReplicationMessages.ParseAck(payload, "ack").Id);

    private void OnBarrierAck(PeerSession s, byte[] payload)
    {
        if (!ReplicationMessages.TryParseBarrier(payload, out var epoch, out var setSize))
        {
            throw new ProtocolException("malformed barrier ack");
        }
        OnBarrierAck(epoch, setSize);
    }

    private Task OnDataRequestAsync(PeerSession s, byte[] payload, CancellationToken ct) =>
        ServeDataRequestAsync(s, ReplicationMessages.ParseAck(payload, "data request"), ct);

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
        var nack = ReplicationMessages.ParseAck(payload, "negative data reply");
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
            _events.Publish("volume.peer-disk", $"the peer's disk is {newPeerDisk}", ("old", oldPeerDisk.ToString()), ("new", newPeerDisk.ToString()));
            await _disk.OnPeerDisklessAsync(Role == Role.Primary, ct).ConfigureAwait(false);
        }
        if (newPeerDisk == DiskState.UpToDate)
        {
            await _disk.ClearPeerOutdatedAsync(ct).ConfigureAwait(false);
        }
    }
}
