using System.Buffers.Binary;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;

namespace Tandem.Replication.Resync;

/// <summary>
/// The SyncTarget side of a resync (drbd.md §4): SyncStart makes this data Inconsistent with the
/// source's generation; each ResyncData or ResyncBatch is stored, cleared in the bitmap and
/// acknowledged; ResyncInSync (checksum resync) clears what the source found equal; SyncDone,
/// once the data is durable, makes it UpToDate with the source's UUIDs.
/// </summary>
internal sealed class ResyncTarget(IVolumeHost host, IBlockVolume backing, ReplicaDisk disk, VolumeEvents events, TimeProvider time)
{
    private ReplicaMetadata Metadata => disk.Metadata;

    /// <summary>Registers the handlers of the frames the SyncSource sends.</summary>
    public FrameDispatcher Register(FrameDispatcher frames) => frames
        .On(FrameType.SyncStart, OnSyncStartAsync)
        .On(FrameType.ResyncData, OnResyncDataAsync)
        .On(FrameType.ResyncBatch, OnResyncBatchAsync)
        .On(FrameType.ResyncInSync, OnResyncInSync)
        .On(FrameType.SyncDone, OnSyncDoneAsync);

    /// <summary>The SyncSource starts: this side becomes Inconsistent until SyncDone.</summary>
    private async Task OnSyncStartAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (!ReplicationMessages.TryParseUuids(payload, out var sync, out _))
        {
            throw new ProtocolException("malformed sync start");
        }
        await disk.BeginSyncTargetAsync(sync, ct).ConfigureAwait(false);
        var bytes = Metadata.Bitmap.OutOfSyncBytes;
        host.EnterResync(s, ReplicationState.SyncTarget, new ResyncProgress(bytes, time.GetUtcNow(), ReplicationState.SyncTarget));
        Log.SyncStarted(events.Logger, events.Resource, ReplicationState.SyncTarget, bytes);
        events.Publish("volume.sync.started", "sync target", ("role", "SyncTarget"), ("bytes", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>A block of the resync from the SyncSource: stored and acknowledged.</summary>
    /// <returns>True: a failed local write throws, and then the buffer is not reused.</returns>
    private async Task<bool> OnResyncDataAsync(PeerSession s, ReceivedFrame frame, CancellationToken ct)
    {
        var payload = frame.Payload;
        if (payload.Length < 8)
        {
            throw new ProtocolException("malformed resync data");
        }
        var offset = BinaryPrimitives.ReadInt64BigEndian(payload.Span);
        var data = payload[8..];
        if (offset < 0 || offset + data.Length > host.Size)
        {
            throw new ProtocolException($"resync data {offset}+{data.Length} beyond the agreed size {host.Size}");
        }
        await host.LocalAsync(() => backing.WriteAsync(offset, data, false, ct)).ConfigureAwait(false);
        Metadata.Bitmap.Clear(offset, data.Length);
        s.SendAck(FrameType.ResyncAck, ReplicationMessages.Ack(0, offset, data.Length));
        return true;
    }

    /// <summary>A batch of scattered runs from the SyncSource: each stored, then one acknowledgement.</summary>
    /// <returns>True: a failed local write throws, and then the buffer is not reused.</returns>
    private async Task<bool> OnResyncBatchAsync(PeerSession s, ReceivedFrame frame, CancellationToken ct)
    {
        var payload = frame.Payload;
        var runs = s.BatchRuns;
        if (!ResyncBatch.TryParse(payload.Span, host.Size, runs, out var id, out var count, out var error))
        {
            throw new ProtocolException(error);
        }
        var at = ResyncBatch.HeaderSize(count);
        for (var i = 0; i < count; i++)
        {
            var (offset, length) = runs[i];
            var data = payload.Slice(at, length);
            await host.LocalAsync(() => backing.WriteAsync(offset, data, false, ct)).ConfigureAwait(false);
            Metadata.Bitmap.Clear(offset, length);
            at += length;
        }
        s.SendAck(FrameType.ResyncBatchAck, ReplicationMessages.Ack(id, runs[0].Offset, at - ResyncBatch.HeaderSize(count)));
        return true;
    }

    /// <summary>Checksum resync: the SyncSource found this range equal here.</summary>
    private void OnResyncInSync(PeerSession s, byte[] payload)
    {
        var ack = ReplicationMessages.ParseAck(payload, "in-sync notice");
        Metadata.Bitmap.Clear(ack.Offset, ack.Length);
        s.Send(FrameType.ResyncAck, ReplicationMessages.Ack(0, ack.Offset, ack.Length), control: true);
    }

    /// <summary>The SyncSource is done: this side is UpToDate with its generation.</summary>
    private async Task OnSyncDoneAsync(PeerSession s, byte[] payload, CancellationToken ct)
    {
        if (!ReplicationMessages.TryParseUuids(payload, out var uuids, out var skip))
        {
            throw new ProtocolException("malformed sync done");
        }
        Metadata.Bitmap.ClearAll();
        await host.LocalAsync(() => backing.FlushAsync(ct)).ConfigureAwait(false);
        await disk.FinishSyncTargetAsync(uuids, skip == 1 ? "initial sync skipped by the peer" : "resync finished", ct).ConfigureAwait(false);
        host.EndResync(s);
        if (skip != 1)
        {
            Log.SyncFinished(events.Logger, events.Resource);
            events.Publish("volume.sync.finished", "sync target done", ("role", "SyncTarget"));
            events.NotifyHandler("after-resync-target");
        }
        s.SendState(host.Role, disk.State);
    }
}
