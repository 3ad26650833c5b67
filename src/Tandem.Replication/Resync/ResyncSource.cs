using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Uuids;
using Tandem.Replication.Verify;
using Tandem.Replication.Writes;

namespace Tandem.Replication.Resync;

/// <summary>
/// The SyncSource side of a resync (drbd.md §4): starts it (the bitmap UUID keeps the target's
/// generation), sends every block marked in the bitmap (scattered runs batched to a peer that
/// takes batches; with <c>csums-alg</c> only the runs whose digests differ), at the rate the
/// controller grants and within the window of requests in flight, clears the bitmap as the target
/// acknowledges, reports progress and stalls, and ends it with SyncDone.
/// </summary>
internal sealed class ResyncSource(ReplicatedVolumeOptions options, IVolumeHost host, IBlockVolume backing, ReplicaDisk disk,
    StripeLocks stripes, VolumeEvents events, TimeProvider time)
{
    private const int Window = PeerSession.ResyncWindow;
    private const int MaxBlocks = 64; // 256 KiB per request
    private const int BatchSlots = ResyncBatch.MaxData / FrameHeader.ResyncChunk; // a batch counts as many requests as its bytes

    private ReplicaMetadata Metadata => disk.Metadata;

    /// <summary>Registers the handlers of the target's acknowledgements.</summary>
    public FrameDispatcher Register(FrameDispatcher frames) => frames
        .On(FrameType.ResyncAck, OnResyncAck)
        .On(FrameType.ResyncBatchAck, OnResyncBatchAck);

    /// <summary>Starts a resync of the marked blocks to the peer of <paramref name="session"/>; writes may flow once it returns.</summary>
    /// <param name="session">The session.</param>
    /// <param name="reason">Why (the event's reason).</param>
    /// <param name="cancellationToken">Cancels the metadata writes.</param>
    public async Task StartAsync(PeerSession session, string reason, CancellationToken cancellationToken)
    {
        await disk.BeginSyncSourceAsync(cancellationToken).ConfigureAwait(false);
        host.EnterResync(session, ReplicationState.SyncSource, new ResyncProgress(Metadata.Bitmap.OutOfSyncBytes, time.GetUtcNow(), ReplicationState.SyncSource));
        session.Send(FrameType.SyncStart, ReplicationMessages.Uuids(new GenerationUuids(Metadata.Uuids.Bitmap, 0, 0, 0)), control: false);
        Log.SyncStarted(events.Logger, events.Resource, ReplicationState.SyncSource, Metadata.Bitmap.OutOfSyncBytes);
        events.Publish("volume.sync.started", reason, ("role", "SyncSource"), ("bytes", Metadata.Bitmap.OutOfSyncBytes.ToString(CultureInfo.InvariantCulture)));
        session.Ready.TrySetResult();
        session.Resyncer = RunAsync(session);
    }

    /// <summary>Takes a resync window slot; reports the resync as stalled when no acknowledgement frees one in time.</summary>
    private async Task WaitWindowAsync(PeerSession s, CancellationToken ct)
    {
        while (!await s.Window.WaitAsync(options.StallTimeout, ct).ConfigureAwait(false))
        {
            CheckStall(s, Interlocked.Read(ref s.AckedBytes), long.MaxValue);
        }
        CheckStall(s, Interlocked.Read(ref s.AckedBytes), 0);
    }

    /// <summary>Reports a resync with requests outstanding and no acknowledgement for the stall timeout, and its recovery.</summary>
    private void CheckStall(PeerSession s, long acked, long sent)
    {
        var now = time.GetTimestamp();
        if (acked != s.LastAcked)
        {
            s.LastAcked = acked;
            s.LastAckTime = now;
            if (s.Stalled)
            {
                s.Stalled = false;
                events.Publish("volume.sync.progress", "resync moving again", ("remainingBytes", Metadata.Bitmap.OutOfSyncBytes.ToString(CultureInfo.InvariantCulture)));
            }
            return;
        }
        if (s.LastAckTime == 0)
        {
            s.LastAckTime = now;
        }
        if (!s.Stalled && sent > acked && time.GetElapsedTime(s.LastAckTime) >= options.StallTimeout)
        {
            s.Stalled = true;
            events.Publish("volume.sync.stalled", $"no resync acknowledgement for {options.StallTimeout.TotalSeconds:0.#} s",
                ("remainingBytes", Metadata.Bitmap.OutOfSyncBytes.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private static bool AllEqual(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b);

    private async Task RunAsync(PeerSession s)
    {
        var ct = s.Cts.Token;
        try
        {
            var started = time.GetTimestamp();
            var lastProgress = started;
            var controller = new ResyncRateController(options.ResyncRate, options.ControllerPlanAhead, options.ControllerFillTarget,
                options.ControllerDelayTarget, options.ControllerMaxRate);
            var budget = controller.NextStep(0, 0);
            var tick = started;
            long ackedAtTick = 0;
            long sent = 0;
            long frames = 0;
            long block = 0;
            var bitmap = Metadata.Bitmap;
            while (true)
            {
                var b = bitmap.FindNextSet(block);
                if (b < 0)
                {
                    // Wait until every request in flight is acknowledged, then look again.
                    for (var i = 0; i < Window; i++)
                    {
                        await WaitWindowAsync(s, ct).ConfigureAwait(false);
                    }
                    s.Window.Release(Window);
                    if (bitmap.Count == 0)
                    {
                        break;
                    }
                    block = 0;
                    continue;
                }
                var offset = b * QuickSyncBitmap.BytesPerBit;
                if (offset >= host.Size)
                {
                    bitmap.Clear(offset, (bitmap.Blocks - b) * QuickSyncBitmap.BytesPerBit); // beyond the agreed size
                    block = bitmap.Blocks;
                    continue;
                }
                const int blocksPerExtent = (1 << ActivityLog.ExtentShift) / QuickSyncBitmap.BytesPerBit;
                var extentEnd = Math.Min((b / blocksPerExtent + 1) * blocksPerExtent, bitmap.Blocks);
                // Checksum resync asks the peer's digest of each run; otherwise a peer that takes
                // batches gets every run of this extent, up to a chunk, in one frame.
                var batching = s.Batching && options.CsumsAlg is null;
                var runs = new List<(long Offset, int Length)>(batching ? 8 : 1);
                var length = 0;
                var next = b;
                var maxBlocks = batching ? ResyncBatch.MaxData / QuickSyncBitmap.BytesPerBit : MaxBlocks;
                while (next >= 0 && next < extentEnd && runs.Count < (batching ? ResyncBatch.MaxRuns : 1) && length / QuickSyncBitmap.BytesPerBit < maxBlocks)
                {
                    var runOffset = next * QuickSyncBitmap.BytesPerBit;
                    if (runOffset >= host.Size)
                    {
                        break;
                    }
                    var n = 1;
                    while (length / QuickSyncBitmap.BytesPerBit + n < maxBlocks && next + n < extentEnd && bitmap.IsSet(next + n))
                    {
                        n++;
                    }
                    var runLength = (int)Math.Min((long)n * QuickSyncBitmap.BytesPerBit, host.Size - runOffset);
                    runs.Add((runOffset, runLength));
                    length += runLength;
                    block = next + n;
                    next = block < extentEnd ? bitmap.FindNextSet(block) : -1;
                }
                var span = runs[^1].Offset + runs[^1].Length - offset;
                // The rate controller grants bytes per 100 ms step (fixed resync-rate, or dynamic).
                while (budget <= 0)
                {
                    var wait = ResyncRateController.Step - time.GetElapsedTime(tick);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, time, ct).ConfigureAwait(false);
                    }
                    tick = time.GetTimestamp();
                    var acked = Interlocked.Read(ref s.AckedBytes);
                    CheckStall(s, acked, sent);
                    budget += controller.NextStep(acked - ackedAtTick, sent - acked);
                    ackedAtTick = acked;
                }
                budget -= length;
                for (var slot = 0; slot < (batching ? BatchSlots : 1); slot++)
                {
                    await WaitWindowAsync(s, ct).ConfigureAwait(false);
                }
                var head = batching ? ResyncBatch.HeaderSize(runs.Count) : 8;
                var frame = ArrayPool<byte>.Shared.Rent(head + length);
                var queued = false;
                // Under the stripe lock an application write to the same blocks is either wholly
                // before (we read its data) or wholly after (its Data frame follows ours).
                await stripes.LockAsync(offset, span, ct).ConfigureAwait(false);
                try
                {
                    var at = head;
                    foreach (var (runOffset, runLength) in runs)
                    {
                        var into = frame.AsMemory(at, runLength);
                        await host.LocalAsync(() => backing.ReadAsync(runOffset, into, ct)).ConfigureAwait(false);
                        at += runLength;
                    }
                    if (batching)
                    {
                        var id = ++s.LastBatchId;
                        ResyncBatch.WriteHeader(frame, id, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(runs));
                        s.Batches[id] = runs;
                        queued = s.Connection.EnqueueRented(FrameType.ResyncBatch, frame, head + length);
                    }
                    else if (options.CsumsAlg is { } csums
                        && AllEqual(BlockDigest.Compute(csums, frame.AsSpan(8, length)), await PeerDigests.RequestAsync(s, csums, offset, length, ct).ConfigureAwait(false)))
                    {
                        // Checksum-based resync: the peer already has these bytes.
                        s.Send(FrameType.ResyncInSync, ReplicationMessages.Ack(0, offset, length), control: false);
                        Interlocked.Add(ref s.SkippedBytes, length);
                    }
                    else
                    {
                        BinaryPrimitives.WriteInt64BigEndian(frame, offset);
                        queued = s.Connection.EnqueueRented(FrameType.ResyncData, frame, head + length);
                    }
                }
                finally
                {
                    stripes.Unlock(offset, span);
                    if (!queued)
                    {
                        ArrayPool<byte>.Shared.Return(frame);
                    }
                }
                sent += length;
                frames++;
                if (time.GetElapsedTime(lastProgress) >= options.ProgressInterval)
                {
                    lastProgress = time.GetTimestamp();
                    PublishProgress(s);
                }
            }
            if (await disk.FinishSyncSourceAsync(ct).ConfigureAwait(false))
            {
                events.NotifyHandler("unfence-peer");
            }
            host.EndResync(s);
            s.Send(FrameType.SyncDone, ReplicationMessages.Uuids(Metadata.Uuids), control: false);
            Log.SyncFinished(events.Logger, events.Resource);
            events.Publish("volume.sync.finished", "sync source done", ("role", "SyncSource"), ("bytes", sent.ToString(CultureInfo.InvariantCulture)),
                ("sentBytes", (sent - Interlocked.Read(ref s.SkippedBytes)).ToString(CultureInfo.InvariantCulture)),
                ("frames", frames.ToString(CultureInfo.InvariantCulture)));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException ex)
        {
            Log.ConnectionLost(events.Logger, events.Resource, $"resync stopped: {ex.Message}");
            s.Abort();
        }
    }

    private void PublishProgress(PeerSession s)
    {
        var r = s.Resync;
        if (r is null)
        {
            return;
        }
        var progress = r.ToStatus(Metadata.Bitmap.OutOfSyncBytes, time.GetUtcNow());
        var percent = progress.Percent.ToString(CultureInfo.InvariantCulture);
        events.Publish("volume.sync.progress", $"{percent}% done", ("percent", percent),
            ("remainingBytes", progress.RemainingBytes.ToString(CultureInfo.InvariantCulture)),
            ("etaSeconds", progress.EtaSeconds?.ToString(CultureInfo.InvariantCulture) ?? "unknown"));
    }

    private void OnResyncAck(PeerSession s, byte[] payload)
    {
        var ack = ReplicationMessages.ParseAck(payload, "resync ack");
        Metadata.Bitmap.Clear(ack.Offset, ack.Length);
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
            Metadata.Bitmap.Clear(offset, length);
            total += length;
        }
        Interlocked.Add(ref s.AckedBytes, total);
        s.Window.Release(BatchSlots);
    }
}
