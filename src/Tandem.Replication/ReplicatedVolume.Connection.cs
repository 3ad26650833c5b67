using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Tandem.Core.Model;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Uuids;

namespace Tandem.Replication;

public sealed partial class ReplicatedVolume
{
    private const int BitmapWordsPerChunk = 8192;
    private const int ResyncWindow = PeerSession.ResyncWindow;
    private const int ResyncMaxBlocks = 64; // 256 KiB per request
    private const int BatchSlots = ResyncBatch.MaxData / FrameHeader.ResyncChunk; // a batch counts as many requests as its bytes

    private TimeSpan HandshakeTimeout => TimeSpan.FromTicks(Math.Max(_options.ConnectInterval.Ticks * 4, TimeSpan.FromSeconds(2).Ticks));

    private async Task ConnectorLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            bool want;
            lock (_lock)
            {
                want = _wantConnect && !_disposed && _session is null;
            }
            if (!want)
            {
                try
                {
                    await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            var acceptor = !IAmDialer;
            var reached = false;
            try
            {
                Stream stream;
                using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    attempt.CancelAfter(_options.ConnectInterval);
                    stream = acceptor
                        ? await _transport.AcceptAsync(attempt.Token).ConfigureAwait(false)
                        : await _transport.ConnectAsync(attempt.Token).ConfigureAwait(false);
                }
                reached = true;
                await StartSessionAsync(stream, acceptor, cancellationToken).ConfigureAwait(false);
            }
            catch (ProtocolException ex)
            {
                // A refused handshake (versions, authentication, settings, split brain) is not
                // retried: an operator must act (drbd.md §7.2: auth failure → StandAlone).
                Log.ConnectFailed(_logger, Resource, ex.Message);
                lock (_lock)
                {
                    _wantConnect = false;
                    SetConnectionLocked(ConnectionState.StandAlone, ex.Message);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Stopping: disposal stops the transport, and an accept then fails.
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                if (reached)
                {
                    Log.ConnectFailed(_logger, Resource, ex.Message);
                }
                // An acceptor whose wait ended looks again at once; a failed dial or handshake waits.
                if (reached || !acceptor)
                {
                    await DelayAsync(_options.ConnectInterval, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Holds new writes and waits for the ones in flight, so that the UUIDs and bitmap sent to the
    /// peer stay true until the session decides how writes are handled.
    /// </summary>
    private async Task<ParamsMessage> GateAndSnapshotAsync()
    {
        // The authenticated peer is talking to us again: writes held by a pending (or failed)
        // resource-and-stonith fence complete now (they are in the bitmap), as DRBD resumes I/O on
        // reconnect; the handshake below waits for them.
        Thaw("the peer is reachable again");
        Task drained;
        lock (_lock)
        {
            _gate ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _drained = _inflight == 0 ? null : new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained?.Task ?? Task.CompletedTask;
        }
        await drained.ConfigureAwait(false);
        return LocalParams();
    }

    private void OpenGate()
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            gate = _gate;
            _gate = null;
        }
        gate?.TrySetResult();
    }

    private ParamsMessage LocalParams()
    {
        lock (_lock)
        {
            return new ParamsMessage
            {
                Protocol = _options.Protocol,
                DiscardMyData = _discardMyData,
                Role = _role,
                Disk = _disk,
                // The agreed size, not the backing's: a grown backing is used after ResizeAsync only.
                Size = _md.LastAgreedSize > 0 ? Math.Min(_md.LastAgreedSize, _md.UsableSize) : _md.UsableSize,
                Uuids = _md.Uuids,
                CrashedPrimary = (_md.Flags & MetadataFlags.CrashedPrimary) != 0,
                Inconsistent = _disk <= DiskState.Inconsistent,
                DirtyBlocks = _md.Bitmap.Count,
                Policies = _options.Policies,
                NodeName = _options.NodeName,
            };
        }
    }

    private async Task StartSessionAsync(Stream stream, bool acceptor, CancellationToken cancellationToken)
    {
        var offer = HandshakeOptions.Default(_options.CramHmacAlg, _options.SharedSecret);
        if (_options.WithoutResyncBatch)
        {
            offer = offer with { Features = offer.Features & ~FeatureFlags.ResyncBatch };
        }
        PeerConnection connection;
        HandshakeResult hs;
        try
        {
            (connection, hs) = await PeerSession.HandshakeAsync(stream, offer, GateAndSnapshotAsync, HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            OpenGate();
            throw;
        }
        var local = hs.Local;
        SyncPlan plan;
        string decision;
        if (local.Disk == DiskState.Diskless || hs.Peer.Disk == DiskState.Diskless)
        {
            // A diskless side has no data generation to compare: it uses the other side's data,
            // whose bitmap tracks what the diskless side's old disk misses (drbd.md §6).
            plan = local.Role == Role.Primary && hs.Peer.Role == Role.Primary
                ? new SyncPlan(SyncAction.Disconnect, false, false, false, "both nodes are Primary and one is diskless; demote one")
                : new SyncPlan(SyncAction.None, false, false, false, local.Disk == DiskState.Diskless ? "this node is diskless: no sync" : "the peer is diskless: no sync");
            decision = plan.Reason;
        }
        else
        {
            var self = new UuidSide(local.Uuids, local.CrashedPrimary, local.Role == Role.Primary, local.Inconsistent, local.DirtyBlocks, local.DiscardMyData);
            var peer = new UuidSide(hs.Peer.Uuids, hs.Peer.CrashedPrimary, hs.Peer.Role == Role.Primary, hs.Peer.Inconsistent, hs.Peer.DirtyBlocks, hs.Peer.DiscardMyData);
            var compare = UuidComparer.Compare(self, peer, acceptor);
            plan = _options.Policies.Plan(compare, self, peer, _options.NodeName, acceptor);
            decision = compare.ToString();
            if (plan.SplitBrain)
            {
                Log.SplitBrain(_logger, Resource, plan.Reason);
                Publish("volume.split-brain", plan.Reason, ("action", plan.Action.ToString()), ("rule", compare.RuleName));
                NotifyHandler("initial-split-brain");
                if (plan.Action == SyncAction.Disconnect)
                {
                    NotifyHandler("split-brain");
                }
            }
            if (plan.PrimaryLost)
            {
                NotifyHandler("pri-lost-after-sb");
            }
        }
        Log.UuidDecision(_logger, Resource, plan.Reason);
        if (plan.Action == SyncAction.Disconnect)
        {
            OpenGate();
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new ProtocolException(plan.Reason);
        }
        if (hs.Peer.Disk == DiskState.Diskless && hs.Local.Disk == DiskState.UpToDate)
        {
            // The peer lost its disk while away: this data is a new generation from now on.
            await OnPeerDisklessAsync(cancellationToken).ConfigureAwait(false);
        }
        if (hs.AgreedSize < Size || (hs.AgreedSize != _md.LastAgreedSize))
        {
            // Differing backings: both use the smaller (drbd.md §7.2 step 5).
            Interlocked.Exchange(ref _size, Math.Min(hs.AgreedSize, _md.UsableSize));
            await _md.SetLastAgreedSizeAsync(Size, cancellationToken).ConfigureAwait(false);
        }
        if (plan.Full)
        {
            _md.Bitmap.SetAll();
        }
        var session = new PeerSession(connection, acceptor, plan, hs.Features);
        lock (_lock)
        {
            _session = session;
            _peerRole = hs.Peer.Role;
            _peerDisk = hs.Peer.Disk;
            _replication = ReplicationState.WaitingForBitmap;
            _discardMyData = false;
            SetConnectionLocked(ConnectionState.Connected, decision);
        }
        OpenGate(); // writes now wait for the bitmap exchange instead
        connection.StartSending();
        var words = _md.Bitmap.Snapshot();
        for (var i = 0; i < words.Length; i += BitmapWordsPerChunk)
        {
            var n = Math.Min(BitmapWordsPerChunk, words.Length - i);
            session.Send(FrameType.BitmapChunk, ReplicationMessages.BitmapChunk(i, words.AsSpan(i, n)), control: false);
        }
        session.Send(FrameType.BitmapDone, [], control: false);
        session.Run(_frames, _time, _options.PingInterval, _options.PeerTimeout, OnSessionLostAsync);
        if (CongestionControlled)
        {
            session.Congestion = CongestionMonitorAsync(session);
        }
    }

    /// <summary>A replicated write from the Primary (Data): stored, acknowledged as the protocol asks.</summary>
    /// <returns>False when a failed local write may still read the frame (a
    /// disk-timeout leaves the request running): its buffer must not be reused.</returns>
    private async Task<bool> OnDataAsync(PeerSession s, ReceivedFrame frame, CancellationToken ct)
    {
        var payload = frame.Payload;
        if (!DataHeader.TryParse(payload.Span, out var h))
        {
            throw new ProtocolException("malformed data header");
        }
        var data = payload[DataHeader.Size..];
        if (h.Offset + data.Length > Size)
        {
            throw new ProtocolException($"write {h.Offset}+{data.Length} beyond the agreed size {Size}");
        }
        if ((h.Flags & DataFlags.SendReceiveAck) != 0)
        {
            s.SendAck(FrameType.RecvAck, ReplicationMessages.Ack(h.Id, h.Offset, data.Length));
        }
        var stored = false;
        var attempted = LocalDiskAttached;
        if (attempted)
        {
            try
            {
                await LocalAsync(() => _backing.WriteAsync(h.Offset, data, (h.Flags & DataFlags.Fua) != 0, ct)).ConfigureAwait(false);
                stored = true;
            }
            catch (IOException)
            {
                // Detached or passed on: a negative ack makes the Primary mark the block.
            }
        }
        if (stored && PeerDisk <= DiskState.Failed)
        {
            // A diskless Primary's write: only this disk has it.
            _md.Bitmap.Set(h.Offset, data.Length);
        }
        if (!stored)
        {
            if (!s.Extended)
            {
                // An older Primary knows no negative ack: drop the connection; it marks
                // every write it had not confirmed, and the reconnect decides.
                throw new IOException("a replicated write failed locally");
            }
            s.Send(FrameType.NegAck, ReplicationMessages.Ack(h.Id, h.Offset, data.Length), control: true);
        }
        else if ((h.Flags & DataFlags.SendWriteAck) != 0)
        {
            s.SendAck(FrameType.WriteAck, ReplicationMessages.Ack(h.Id, h.Offset, data.Length));
        }
        s.EpochWrites++;
        return stored || !attempted;
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
        if (offset < 0 || offset + data.Length > Size)
        {
            throw new ProtocolException($"resync data {offset}+{data.Length} beyond the agreed size {Size}");
        }
        await LocalAsync(() => _backing.WriteAsync(offset, data, false, ct)).ConfigureAwait(false);
        _md.Bitmap.Clear(offset, data.Length);
        s.SendAck(FrameType.ResyncAck, ReplicationMessages.Ack(0, offset, data.Length));
        return true;
    }

    /// <summary>A batch of scattered runs from the SyncSource: each stored, then one acknowledgement.</summary>
    /// <returns>True: a failed local write throws, and then the buffer is not reused.</returns>
    private async Task<bool> OnResyncBatchAsync(PeerSession s, ReceivedFrame frame, CancellationToken ct)
    {
        var payload = frame.Payload;
        var runs = s.BatchRuns;
        if (!ResyncBatch.TryParse(payload.Span, Size, runs, out var id, out var count, out var error))
        {
            throw new ProtocolException(error);
        }
        var at = ResyncBatch.HeaderSize(count);
        for (var i = 0; i < count; i++)
        {
            var (offset, length) = runs[i];
            var data = payload.Slice(at, length);
            await LocalAsync(() => _backing.WriteAsync(offset, data, false, ct)).ConfigureAwait(false);
            _md.Bitmap.Clear(offset, length);
            at += length;
        }
        s.SendAck(FrameType.ResyncBatchAck, ReplicationMessages.Ack(id, runs[0].Offset, at - ResyncBatch.HeaderSize(count)));
        return true;
    }

    private async Task AfterBitmapExchangeAsync(PeerSession s, CancellationToken ct)
    {
        switch (s.Plan.Action)
        {
            case SyncAction.Source:
                await StartResyncAsSourceAsync(s, s.Plan.Reason, ct).ConfigureAwait(false);
                break;
            case SyncAction.Target:
                lock (_lock)
                {
                    _replication = ReplicationState.SyncTarget;
                }
                s.Ready.TrySetResult();
                break;
            default:
                lock (_lock)
                {
                    _replication = ReplicationState.Established;
                }
                if (PeerDisk == DiskState.UpToDate && Disk == DiskState.Outdated)
                {
                    // In sync with the UpToDate peer (no resync needed): no longer outdated.
                    await _md.UpdateAsync(u => u, f => f | MetadataFlags.Consistent | MetadataFlags.WasUpToDate, ct).ConfigureAwait(false);
                    SetDisk(DiskState.UpToDate, "in sync with the UpToDate peer");
                    s.SendState(Role, Disk);
                }
                if (PeerDisk == DiskState.UpToDate)
                {
                    await ClearPeerOutdatedAsync(ct).ConfigureAwait(false);
                }
                if (Role == Role.Primary && PeerRole != Role.Primary && Disk == DiskState.UpToDate && PeerDisk == DiskState.UpToDate && _md.Bitmap.Count > 0)
                {
                    // Same generation but blocks marked while connected (a write the peer failed,
                    // a verify): the Primary's data is the current one. DRBD only warns ("No resync,
                    // but N bits in bitmap"); we resync them.
                    await StartResyncAsSourceAsync(s, "resync of blocks marked out of sync in the same generation", ct).ConfigureAwait(false);
                    break;
                }
                s.Ready.TrySetResult();
                break;
        }
    }

    private async Task StartResyncAsSourceAsync(PeerSession s, string reason, CancellationToken ct)
    {
        var fresh = ReplicaMetadata.NewRandomUuid();
        await _md.UpdateAsync(u => u.Bitmap != 0
                ? new GenerationUuids(u.Current, u.Bitmap + GenerationUuids.NewBitmapOffset, u.Bitmap, u.History0)
                : new GenerationUuids(u.Current, fresh, u.History0, u.History1),
            f => f, ct).ConfigureAwait(false);
        await _md.FlushBitmapAsync(ct).ConfigureAwait(false);
        lock (_lock)
        {
            _replication = ReplicationState.SyncSource;
            _peerDisk = DiskState.Inconsistent;
            s.Resync = new ResyncProgress(_md.Bitmap.OutOfSyncBytes, _time.GetUtcNow(), ReplicationState.SyncSource);
        }
        s.Send(FrameType.SyncStart, ReplicationMessages.Uuids(new GenerationUuids(_md.Uuids.Bitmap, 0, 0, 0)), control: false);
        Log.SyncStarted(_logger, Resource, ReplicationState.SyncSource, _md.Bitmap.OutOfSyncBytes);
        Publish("volume.sync.started", reason, ("role", "SyncSource"), ("bytes", _md.Bitmap.OutOfSyncBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        s.Ready.TrySetResult();
        s.Resyncer = ResyncSourceAsync(s);
    }

    /// <summary>Takes a resync window slot; reports the resync as stalled when no acknowledgement frees one in time.</summary>
    private async Task WaitWindowAsync(PeerSession s, CancellationToken ct)
    {
        while (!await s.Window.WaitAsync(_options.StallTimeout, ct).ConfigureAwait(false))
        {
            CheckStall(s, Interlocked.Read(ref s.AckedBytes), long.MaxValue);
        }
        CheckStall(s, Interlocked.Read(ref s.AckedBytes), 0);
    }

    /// <summary>Reports a resync with requests outstanding and no acknowledgement for the stall timeout, and its recovery.</summary>
    private void CheckStall(PeerSession s, long acked, long sent)
    {
        var now = _time.GetTimestamp();
        if (acked != s.LastAcked)
        {
            s.LastAcked = acked;
            s.LastAckTime = now;
            if (s.Stalled)
            {
                s.Stalled = false;
                Publish("volume.sync.progress", "resync moving again", ("remainingBytes", _md.Bitmap.OutOfSyncBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            return;
        }
        if (s.LastAckTime == 0)
        {
            s.LastAckTime = now;
        }
        if (!s.Stalled && sent > acked && _time.GetElapsedTime(s.LastAckTime) >= _options.StallTimeout)
        {
            s.Stalled = true;
            Publish("volume.sync.stalled", $"no resync acknowledgement for {_options.StallTimeout.TotalSeconds:0.#} s",
                ("remainingBytes", _md.Bitmap.OutOfSyncBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private async Task<byte[]> PeerDigestsAsync(PeerSession s, string alg, long offset, int length, CancellationToken ct)
    {
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        s.Digests[offset] = tcs;
        var request = ReplicationMessages.Ack(0, offset, length).Concat(Encoding.ASCII.GetBytes(alg)).ToArray();
        s.Send(FrameType.DigestRequest, request, control: false);
        using var registration = ct.Register(() => tcs.TrySetCanceled(ct));
        return await tcs.Task.ConfigureAwait(false);
    }

    private static bool AllEqual(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b);

    private async Task ResyncSourceAsync(PeerSession s)
    {
        var ct = s.Cts.Token;
        try
        {
            var started = _time.GetTimestamp();
            var lastProgress = started;
            var controller = new ResyncRateController(_options.ResyncRate, _options.ControllerPlanAhead, _options.ControllerFillTarget,
                _options.ControllerDelayTarget, _options.ControllerMaxRate);
            var budget = controller.NextStep(0, 0);
            var tick = started;
            long ackedAtTick = 0;
            long sent = 0;
            long frames = 0;
            long block = 0;
            var bitmap = _md.Bitmap;
            while (true)
            {
                var b = bitmap.FindNextSet(block);
                if (b < 0)
                {
                    // Wait until every request in flight is acknowledged, then look again.
                    for (var i = 0; i < ResyncWindow; i++)
                    {
                        await WaitWindowAsync(s, ct).ConfigureAwait(false);
                    }
                    s.Window.Release(ResyncWindow);
                    if (bitmap.Count == 0)
                    {
                        break;
                    }
                    block = 0;
                    continue;
                }
                var offset = b * QuickSyncBitmap.BytesPerBit;
                if (offset >= Size)
                {
                    bitmap.Clear(offset, (bitmap.Blocks - b) * QuickSyncBitmap.BytesPerBit); // beyond the agreed size
                    block = bitmap.Blocks;
                    continue;
                }
                const int blocksPerExtent = (1 << ActivityLog.ExtentShift) / QuickSyncBitmap.BytesPerBit;
                var extentEnd = Math.Min((b / blocksPerExtent + 1) * blocksPerExtent, bitmap.Blocks);
                // Checksum resync asks the peer's digest of each run; otherwise a peer that takes
                // batches gets every run of this extent, up to a chunk, in one frame.
                var batching = s.Batching && _options.CsumsAlg is null;
                var runs = new List<(long Offset, int Length)>(batching ? 8 : 1);
                var length = 0;
                var next = b;
                var maxBlocks = batching ? ResyncBatch.MaxData / QuickSyncBitmap.BytesPerBit : ResyncMaxBlocks;
                while (next >= 0 && next < extentEnd && runs.Count < (batching ? ResyncBatch.MaxRuns : 1) && length / QuickSyncBitmap.BytesPerBit < maxBlocks)
                {
                    var runOffset = next * QuickSyncBitmap.BytesPerBit;
                    if (runOffset >= Size)
                    {
                        break;
                    }
                    var n = 1;
                    while (length / QuickSyncBitmap.BytesPerBit + n < maxBlocks && next + n < extentEnd && bitmap.IsSet(next + n))
                    {
                        n++;
                    }
                    var runLength = (int)Math.Min((long)n * QuickSyncBitmap.BytesPerBit, Size - runOffset);
                    runs.Add((runOffset, runLength));
                    length += runLength;
                    block = next + n;
                    next = block < extentEnd ? bitmap.FindNextSet(block) : -1;
                }
                var span = runs[^1].Offset + runs[^1].Length - offset;
                // The rate controller grants bytes per 100 ms step (fixed resync-rate, or dynamic).
                while (budget <= 0)
                {
                    var wait = ResyncRateController.Step - _time.GetElapsedTime(tick);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                    }
                    tick = _time.GetTimestamp();
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
                await LockStripesAsync(offset, span, ct).ConfigureAwait(false);
                try
                {
                    var at = head;
                    foreach (var (runOffset, runLength) in runs)
                    {
                        var into = frame.AsMemory(at, runLength);
                        await LocalAsync(() => _backing.ReadAsync(runOffset, into, ct)).ConfigureAwait(false);
                        at += runLength;
                    }
                    if (batching)
                    {
                        var id = ++s.LastBatchId;
                        ResyncBatch.WriteHeader(frame, id, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(runs));
                        s.Batches[id] = runs;
                        queued = s.Connection.EnqueueRented(FrameType.ResyncBatch, frame, head + length);
                    }
                    else if (_options.CsumsAlg is { } csums
                        && AllEqual(BlockDigest.Compute(csums, frame.AsSpan(8, length)), await PeerDigestsAsync(s, csums, offset, length, ct).ConfigureAwait(false)))
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
                    UnlockStripes(offset, span);
                    if (!queued)
                    {
                        ArrayPool<byte>.Shared.Return(frame);
                    }
                }
                sent += length;
                frames++;
                if (_time.GetElapsedTime(lastProgress) >= _options.ProgressInterval)
                {
                    lastProgress = _time.GetTimestamp();
                    PublishProgress(s);
                }
            }
            await _md.FlushBitmapAsync(ct).ConfigureAwait(false);
            var wasOutdated = (_md.Flags & MetadataFlags.PeerOutdated) != 0;
            await _md.UpdateAsync(u => u.ClearBitmap(), f => f & ~(MetadataFlags.CrashedPrimary | MetadataFlags.FullSync | MetadataFlags.PeerOutdated), ct).ConfigureAwait(false);
            if (wasOutdated)
            {
                NotifyHandler("unfence-peer");
            }
            lock (_lock)
            {
                _replication = ReplicationState.Established;
                _peerDisk = DiskState.UpToDate;
                s.Resync = null;
            }
            s.Send(FrameType.SyncDone, ReplicationMessages.Uuids(_md.Uuids), control: false);
            Log.SyncFinished(_logger, Resource);
            Publish("volume.sync.finished", "sync source done", ("role", "SyncSource"), ("bytes", sent.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("sentBytes", (sent - Interlocked.Read(ref s.SkippedBytes)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("frames", frames.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException ex)
        {
            Log.ConnectionLost(_logger, Resource, $"resync stopped: {ex.Message}");
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
        var progress = r.ToStatus(_md.Bitmap.OutOfSyncBytes, _time.GetUtcNow());
        var percent = progress.Percent.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Publish("volume.sync.progress", $"{percent}% done", ("percent", percent),
            ("remainingBytes", progress.RemainingBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("etaSeconds", progress.EtaSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"));
    }

    private async Task OnSessionLostAsync(PeerSession s, string reason)
    {
        LostWrites lost;
        bool fence;
        lock (_lock)
        {
            if (_session != s)
            {
                return;
            }
            _session = null;
            _sentBytesBefore += s.Connection.BytesSent;
            _replication = ReplicationState.Off;
            _peerRole = Role.Unknown;
            fence = BeginFencingLocked(_peerDisk);
            _peerDisk = DiskState.DUnknown;
            lost = FailTransferLogLocked();
            s.Ready.TrySetResult();
            SetConnectionLocked(_wantConnect ? ConnectionState.Connecting : ConnectionState.StandAlone, reason);
        }
        Log.ConnectionLost(_logger, Resource, reason);
        s.Abort();
        await s.Connection.DisposeAsync().ConfigureAwait(false);
        CompleteLostWrites(lost);
        if (s.Resyncer is not null)
        {
            await s.Resyncer.ConfigureAwait(false);
        }
        if (s.KeepAlive is not null)
        {
            await s.KeepAlive.ConfigureAwait(false);
        }
        if (s.Congestion is not null)
        {
            await s.Congestion.ConfigureAwait(false);
        }
        if (!_disposed && LocalDiskAttached)
        {
            try
            {
                if (lost.Count > 0 && Role == Role.Primary)
                {
                    // Writes the peer never confirmed exist only here: that is a new data generation
                    // (else a reconnect would find equal UUIDs and skip their resync).
                    await EnsureGenerationAsync(CancellationToken.None).ConfigureAwait(false);
                }
                await _md.FlushBitmapAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // A failing disk: the AL still over-approximates.
            }
        }
        if (fence && !_disposed)
        {
            _ = FenceAfterLossAsync(reason);
        }
        _wake.Release();
    }
}
