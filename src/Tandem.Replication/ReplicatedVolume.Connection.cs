using System.Net.Sockets;
using Tandem.Core.Model;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Uuids;

namespace Tandem.Replication;

public sealed partial class ReplicatedVolume
{
    private const int BitmapWordsPerChunk = 8192;

    private TimeSpan HandshakeTimeout => TimeSpan.FromTicks(Math.Max(_options.ConnectInterval.Ticks * 4, TimeSpan.FromSeconds(2).Ticks));

    private async Task ConnectorLoopAsync(CancellationToken cancellationToken)
    {
        try
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
                if (!IAmDialer)
                {
                    // Each connection is handshaken on its own task (HandshakeConnectionAsync), so the
                    // next accept follows at once: a silent or hostile connection holds nothing up
                    // (issue #18 item 5).
                    await AcceptOnceAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                Stream stream;
                try
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    attempt.CancelAfter(_options.ConnectInterval);
                    stream = await _transport.ConnectAsync(attempt.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                    await DelayAsync(_options.ConnectInterval, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (!await HandshakeConnectionAsync(stream, acceptor: false, cancellationToken).ConfigureAwait(false))
                {
                    await DelayAsync(_options.ConnectInterval, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await DrainHandshakesAsync().ConfigureAwait(false);
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
                Disk = _disk.StateLocked,
                // The agreed size, not the backing's: a grown backing is used after ResizeAsync only.
                Size = _md.LastAgreedSize > 0 ? Math.Min(_md.LastAgreedSize, _md.UsableSize) : _md.UsableSize,
                Uuids = _md.Uuids,
                CrashedPrimary = (_md.Flags & MetadataFlags.CrashedPrimary) != 0,
                Inconsistent = _disk.StateLocked <= DiskState.Inconsistent,
                DirtyBlocks = _md.Bitmap.Count,
                Policies = _options.Policies,
                NodeName = _options.NodeName,
            };
        }
    }

    private async Task StartSessionAsync(Stream stream, bool acceptor, HandshakeProgress progress, CancellationToken cancellationToken)
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
            (connection, hs) = await PeerSession.HandshakeAsync(stream, offer, () => CommitAndSnapshotAsync(progress, cancellationToken), HandshakeTimeout, progress,
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (progress.HoldsCommit)
            {
                OpenGate(); // only the connection that closed the gate opens it
            }
            throw;
        }
        progress.Completed = true;
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
                Log.SplitBrain(_events.Logger, Resource, plan.Reason);
                _events.Publish("volume.split-brain", plan.Reason, ("action", plan.Action.ToString()), ("rule", compare.RuleName));
                _events.NotifyHandler("initial-split-brain");
                if (plan.Action == SyncAction.Disconnect)
                {
                    _events.NotifyHandler("split-brain");
                }
            }
            if (plan.PrimaryLost)
            {
                _events.NotifyHandler("pri-lost-after-sb");
            }
        }
        Log.UuidDecision(_events.Logger, Resource, plan.Reason);
        if (plan.Action == SyncAction.Disconnect)
        {
            OpenGate();
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new ProtocolException(plan.Reason);
        }
        if (hs.Peer.Disk == DiskState.Diskless && hs.Local.Disk == DiskState.UpToDate)
        {
            // The peer lost its disk while away: this data is a new generation from now on.
            await _disk.OnPeerDisklessAsync(Role == Role.Primary, cancellationToken).ConfigureAwait(false);
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
        var attempted = _disk.Attached;
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

    private async Task AfterBitmapExchangeAsync(PeerSession s, CancellationToken ct)
    {
        switch (s.Plan.Action)
        {
            case SyncAction.Source:
                await _resyncSource.StartAsync(s, s.Plan.Reason, ct).ConfigureAwait(false);
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
                // In sync with the UpToDate peer (no resync needed): no longer outdated.
                if (PeerDisk == DiskState.UpToDate && await _disk.InSyncWithUpToDatePeerAsync(ct).ConfigureAwait(false))
                {
                    s.SendState(Role, Disk);
                }
                if (PeerDisk == DiskState.UpToDate)
                {
                    await _disk.ClearPeerOutdatedAsync(ct).ConfigureAwait(false);
                }
                if (Role == Role.Primary && PeerRole != Role.Primary && Disk == DiskState.UpToDate && PeerDisk == DiskState.UpToDate && _md.Bitmap.Count > 0)
                {
                    // Same generation but blocks marked while connected (a write the peer failed,
                    // a verify): the Primary's data is the current one. DRBD only warns ("No resync,
                    // but N bits in bitmap"); we resync them.
                    await _resyncSource.StartAsync(s, "resync of blocks marked out of sync in the same generation", ct).ConfigureAwait(false);
                    break;
                }
                s.Ready.TrySetResult();
                break;
        }
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
        Log.ConnectionLost(_events.Logger, Resource, reason);
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
        if (!_disposed && _disk.Attached)
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
