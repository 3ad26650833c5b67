using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Tandem.Core.Model;
using Tandem.Replication.Metadata;
using Tandem.Replication.Protocol;
using Tandem.Replication.Uuids;

namespace Tandem.Replication;

public sealed partial class ReplicatedVolume
{
    private const int BitmapWordsPerChunk = 8192;
    private const int ResyncWindow = 32; // requests in flight: at most 8 MiB, as DRBD's default max-buffers
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
            Socket? socket = null;
            var acceptor = !IAmDialer;
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(_options.ConnectInterval);
                if (acceptor)
                {
                    socket = await _listener!.AcceptSocketAsync(attempt.Token).ConfigureAwait(false);
                }
                else
                {
                    socket = new Socket(_options.Peer.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    await DialAsync(socket, attempt.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested
                && ex is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // Stopping: disposal stops the listener, and an accept begun after that fails
                // with "not listening" instead of observing the cancellation.
                socket?.Dispose();
                return;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                socket?.Dispose();
                if (!acceptor)
                {
                    await DelayAsync(_options.ConnectInterval, cancellationToken).ConfigureAwait(false);
                }
                continue;
            }
            socket.NoDelay = true;
            try
            {
                await StartSessionAsync(new NetworkStream(socket, ownsSocket: true), acceptor, cancellationToken).ConfigureAwait(false);
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
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                Log.ConnectFailed(_logger, Resource, ex.Message);
                await DelayAsync(_options.ConnectInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Connects without the runtime's asynchronous socket machinery: a non-blocking connect(2)
    /// and poll(2) for its end (a loopback or LAN connect is usually done at the first poll). ConnectAsync would register the socket with the epoll thread for
    /// good, and each later packet would then cost an epoll wake-up and a thread-pool work item,
    /// though the session reads it by blocking on its own thread (PeerConnection.ReceiveAsync).
    /// </summary>
    private async Task DialAsync(Socket socket, CancellationToken cancellationToken)
    {
        socket.Blocking = false;
        try
        {
            socket.Connect(_options.Peer);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // Under way: wait for it below.
        }
        // Writable means connected or failed. Polled on a short real-time tick (not the volume's
        // clock: this is not protocol timing, and the attempt's token bounds the whole wait).
        while (!socket.Poll(TimeSpan.Zero, SelectMode.SelectWrite))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken).ConfigureAwait(false);
        }
        var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }
        socket.Blocking = true;
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
        if (_tls is not null)
        {
            using var tlsTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tlsTimeout.CancelAfter(HandshakeTimeout);
            stream = await _tls.AuthenticateAsync(stream, server: acceptor, tlsTimeout.Token).ConfigureAwait(false);
        }
        var connection = new PeerConnection(stream)
        {
            // The handshake reads by blocking too: an asynchronous read would register the socket
            // with the runtime's epoll thread for good, and every later packet would then cost an
            // epoll wake-up and a thread-pool work item, though nobody reads asynchronously.
            ReceiveThread = Thread.CurrentThread,
        };
        HandshakeResult hs;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(HandshakeTimeout);
            var offer = HandshakeOptions.Default(_options.CramHmacAlg, _options.SharedSecret);
            if (_options.WithoutResyncBatch)
            {
                offer = offer with { Features = offer.Features & ~FeatureFlags.ResyncBatch };
            }
            hs = await Handshake.RunAsync(connection, offer, GateAndSnapshotAsync, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            OpenGate();
            await connection.DisposeAsync().ConfigureAwait(false);
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
        var session = new Session(connection, acceptor, plan) { Features = hs.Features };
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
        session.LastReceived = _time.GetTimestamp();
        // The receive loop starts on a thread of its own, where it blocks in the socket: each frame
        // then costs one wake-up instead of an epoll wake-up and a thread-pool hop (PeerConnection.ReceiveAsync).
        session.Receiver = Task.Factory.StartNew(() =>
        {
            connection.ReceiveThread = Thread.CurrentThread;
            return ReceiveLoopAsync(session);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        session.KeepAlive = KeepAliveAsync(session);
        if (CongestionControlled)
        {
            session.Congestion = CongestionMonitorAsync(session);
        }
    }

    /// <summary>
    /// Pings the peer every ping-int; a peer that sends nothing (not even the PingAck) for the
    /// peer timeout after a ping is declared lost — a frozen or vanished peer closes no socket.
    /// </summary>
    private async Task KeepAliveAsync(Session s)
    {
        var ct = s.Cts.Token;
        try
        {
            while (true)
            {
                await Task.Delay(_options.PingInterval, _time, ct).ConfigureAwait(false);
                var pinged = _time.GetTimestamp();
                s.Send(FrameType.Ping, [], control: true);
                await Task.Delay(_options.PeerTimeout, _time, ct).ConfigureAwait(false);
                if (s.LastReceived < pinged)
                {
                    Log.ConnectionLost(_logger, Resource, "PingAck did not arrive in time");
                    s.LostReason = $"PingAck did not arrive within {_options.PeerTimeout.TotalSeconds:0.#} s";
                    s.Abort();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ReceiveLoopAsync(Session s)
    {
        var ct = s.Cts.Token;
        var reason = "connection closed";
        try
        {
            while (true)
            {
                var frame = await s.Connection.ReceiveFrameAsync(ct).ConfigureAwait(false);
                s.LastReceived = _time.GetTimestamp();
                var reusable = true;
                if (frame.Type == FrameType.Data)
                {
                    reusable = await OnDataAsync(s, frame.Payload, ct).ConfigureAwait(false);
                }
                else if (frame.Type == FrameType.ResyncData)
                {
                    reusable = await OnResyncDataAsync(s, frame.Payload, ct).ConfigureAwait(false);
                }
                else if (frame.Type == FrameType.ResyncBatch)
                {
                    reusable = await OnResyncBatchAsync(s, frame.Payload, ct).ConfigureAwait(false);
                }
                else
                {
                    await HandleFrameAsync(s, frame.Type, frame.Buffer, ct).ConfigureAwait(false);
                }
                if (reusable)
                {
                    frame.Release();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            reason = s.LostReason ?? "disconnected";
        }
        catch (ProtocolException ex)
        {
            reason = ex.Message;
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or SocketException or ObjectDisposedException)
        {
            reason = s.LostReason ?? $"network failure: {ex.Message}";
        }
        await OnSessionLostAsync(s, reason).ConfigureAwait(false);
    }

    /// <summary>A replicated write from the Primary (Data): stored, acknowledged as the protocol asks.</summary>
    /// <returns>False when a failed local write may still read <paramref name="payload"/> (a
    /// disk-timeout leaves the request running): its buffer must not be reused.</returns>
    private async Task<bool> OnDataAsync(Session s, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
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
    private async Task<bool> OnResyncDataAsync(Session s, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
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
    private async Task<bool> OnResyncBatchAsync(Session s, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
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

    /// <summary>Every frame but the writes (Data, ResyncData, ResyncBatch), which the receive loop
    /// hands to <see cref="OnDataAsync"/>, <see cref="OnResyncDataAsync"/> and
    /// <see cref="OnResyncBatchAsync"/> in pooled buffers.</summary>
    private async Task HandleFrameAsync(Session s, FrameType type, byte[] payload, CancellationToken ct)
    {
        switch (type)
        {
            case FrameType.BitmapChunk:
                if (!ReplicationMessages.TryParseBitmapChunk(payload, out var first, out var words))
                {
                    throw new ProtocolException("malformed bitmap chunk");
                }
                _md.Bitmap.MergeAt(first, words);
                break;
            case FrameType.BitmapDone:
                await AfterBitmapExchangeAsync(s, ct).ConfigureAwait(false);
                break;
            case FrameType.SyncStart:
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
                    break;
                }
            case FrameType.Barrier:
                {
                    if (!ReplicationMessages.TryParseBarrier(payload, out var epoch, out var setSize))
                    {
                        throw new ProtocolException("malformed barrier");
                    }
                    if (setSize != s.EpochWrites)
                    {
                        throw new ProtocolException($"barrier #{epoch} announces {setSize} writes, {s.EpochWrites} arrived");
                    }
                    // Every write of the epoch is complete (the loop is sequential): write
                    // ordering "drain" acknowledges now, "flush" (disk-flushes, the default) first
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
                    break;
                }
            case FrameType.NegAck:
                {
                    if (!ReplicationMessages.TryParseAck(payload, out var ack))
                    {
                        throw new ProtocolException("malformed negative ack");
                    }
                    OnNegAck(ack.Id);
                    break;
                }
            case FrameType.DataRequest:
                {
                    if (!ReplicationMessages.TryParseAck(payload, out var req))
                    {
                        throw new ProtocolException("malformed data request");
                    }
                    await ServeDataRequestAsync(s, req, ct).ConfigureAwait(false);
                    break;
                }
            case FrameType.DataReply:
                {
                    if (payload.Length < 8)
                    {
                        throw new ProtocolException("malformed data reply");
                    }
                    if (s.Reads.TryRemove(BinaryPrimitives.ReadUInt64BigEndian(payload), out var reader))
                    {
                        reader.TrySetResult(payload[8..]);
                    }
                    break;
                }
            case FrameType.NegDataReply:
                {
                    if (!ReplicationMessages.TryParseAck(payload, out var nack))
                    {
                        throw new ProtocolException("malformed negative data reply");
                    }
                    if (s.Reads.TryRemove(nack.Id, out var reader))
                    {
                        reader.TrySetException(new Tandem.Core.Volumes.VolumeException(Tandem.Core.Volumes.VolumeError.Io, $"{Resource}: the peer could not read {nack.Offset}+{nack.Length}"));
                    }
                    break;
                }
            case FrameType.OutOfSync:
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
                    break;
                }
            case FrameType.ResizeRequest:
                await OnResizeRequestAsync(s, payload, ct).ConfigureAwait(false);
                break;
            case FrameType.ResizeReply:
                OnResizeReply(s, payload);
                break;
            case FrameType.RecvAck:
            case FrameType.WriteAck:
                {
                    if (!ReplicationMessages.TryParseAck(payload, out var ack))
                    {
                        throw new ProtocolException("malformed ack");
                    }
                    OnWriteAck(ack.Id);
                    break;
                }
            case FrameType.BarrierAck:
                {
                    if (!ReplicationMessages.TryParseBarrier(payload, out var epoch, out var setSize))
                    {
                        throw new ProtocolException("malformed barrier ack");
                    }
                    OnBarrierAck(epoch, setSize);
                    break;
                }
            case FrameType.ResyncInSync:
                {
                    if (!ReplicationMessages.TryParseAck(payload, out var ack))
                    {
                        throw new ProtocolException("malformed in-sync notice");
                    }
                    _md.Bitmap.Clear(ack.Offset, ack.Length);
                    s.Send(FrameType.ResyncAck, ReplicationMessages.Ack(0, ack.Offset, ack.Length), control: true);
                    break;
                }
            case FrameType.DigestRequest:
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
                    break;
                }
            case FrameType.DigestReply:
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
                    break;
                }
            case FrameType.ResyncAck:
                {
                    if (!ReplicationMessages.TryParseAck(payload, out var ack))
                    {
                        throw new ProtocolException("malformed resync ack");
                    }
                    _md.Bitmap.Clear(ack.Offset, ack.Length);
                    Interlocked.Add(ref s.AckedBytes, ack.Length);
                    s.Window.Release();
                    break;
                }
            case FrameType.ResyncBatchAck:
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
                    break;
                }
            case FrameType.SyncDone:
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
                    break;
                }
            case FrameType.State:
                if (payload.Length != 2 || payload[0] > (byte)Role.Primary || payload[1] > (byte)DiskState.UpToDate)
                {
                    throw new ProtocolException("malformed state");
                }
                {
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
                    break;
                }
            case FrameType.Ping:
                s.Send(FrameType.PingAck, [], control: true);
                break;
            case FrameType.PingAck:
                break;
            case FrameType.Error:
                throw new ProtocolException($"the peer reported: {Encoding.UTF8.GetString(payload)}");
            default:
                throw new ProtocolException($"unexpected {type} frame after the handshake");
        }
    }

    private async Task AfterBitmapExchangeAsync(Session s, CancellationToken ct)
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

    private async Task StartResyncAsSourceAsync(Session s, string reason, CancellationToken ct)
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
    private async Task WaitWindowAsync(Session s, CancellationToken ct)
    {
        while (!await s.Window.WaitAsync(_options.StallTimeout, ct).ConfigureAwait(false))
        {
            CheckStall(s, Interlocked.Read(ref s.AckedBytes), long.MaxValue);
        }
        CheckStall(s, Interlocked.Read(ref s.AckedBytes), 0);
    }

    /// <summary>Reports a resync with requests outstanding and no acknowledgement for the stall timeout, and its recovery.</summary>
    private void CheckStall(Session s, long acked, long sent)
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

    private async Task<byte[]> PeerDigestsAsync(Session s, string alg, long offset, int length, CancellationToken ct)
    {
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        s.Digests[offset] = tcs;
        var request = ReplicationMessages.Ack(0, offset, length).Concat(Encoding.ASCII.GetBytes(alg)).ToArray();
        s.Send(FrameType.DigestRequest, request, control: false);
        using var registration = ct.Register(() => tcs.TrySetCanceled(ct));
        return await tcs.Task.ConfigureAwait(false);
    }

    private static bool AllEqual(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b);

    private async Task ResyncSourceAsync(Session s)
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

    private void PublishProgress(Session s)
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

    private async Task OnSessionLostAsync(Session s, string reason)
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

    private sealed class Session(PeerConnection connection, bool resolveConflicts, SyncPlan plan)
    {
        public PeerConnection Connection { get; } = connection;
        public bool ResolveConflicts { get; } = resolveConflicts;
        public SyncPlan Plan { get; } = plan;
        public CancellationTokenSource Cts { get; } = new();
        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public SemaphoreSlim Window { get; } = new(ResyncWindow, ResyncWindow);
        public Task? Receiver { get; set; }
        public Task? Resyncer { get; set; }
        public ResyncProgress? Resync { get; set; }
        public int EpochWrites { get; set; }
#pragma warning disable SA1401, CA1051 // Interlocked needs a field
        public long SkippedBytes;
        public long AckedBytes;
        public long LastReceived;
        public int NegAckResync;
        public ulong LastBatchId;
        public FeatureFlags Features { get; init; }

        /// <summary>Whether the peer understands the frames of diskless operation, resize and Ahead/Behind.</summary>
        public bool Extended => (Features & FeatureFlags.DisklessResizeCongestion) != 0;

        /// <summary>Whether the peer takes scattered resync runs several to a frame.</summary>
        public bool Batching => (Features & FeatureFlags.ResyncBatch) != 0;

        /// <summary>Resync batches sent and not yet acknowledged, by id: the runs their ack makes in sync.</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<ulong, List<(long Offset, int Length)>> Batches { get; } = new();

        /// <summary>The receive loop's scratch for parsing a batch (only that loop touches it).</summary>
        public (long Offset, int Length)[] BatchRuns { get; } = new (long, int)[ResyncBatch.MaxRuns];
        public Task? KeepAlive { get; set; }
        public Task? Congestion { get; set; }
        public string? LostReason { get; set; }
        public long LastAcked { get; set; }
        public long LastAckTime { get; set; }
        public bool Stalled { get; set; }
#pragma warning restore SA1401, CA1051
        public System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource<byte[]>> Digests { get; } = new();
        public System.Collections.Concurrent.ConcurrentDictionary<ulong, TaskCompletionSource<byte[]>> Reads { get; } = new();
        public TaskCompletionSource<(bool Ok, long Usable, string Reason)>? ResizeReply { get; set; }

        public void Send(FrameType type, byte[] payload, bool control) => Connection.Enqueue(type, default, payload, control);

        /// <summary>Sends an acknowledgement of a received frame (batched while more input is buffered).</summary>
        public void SendAck(FrameType type, byte[] payload) => Connection.EnqueueAck(type, payload);

        public void SendState(Role role, DiskState disk) => Send(FrameType.State, [(byte)role, (byte)disk], control: true);

        public void Abort()
        {
            foreach (var waiter in Digests.Values)
            {
                waiter.TrySetException(new IOException("connection lost"));
            }
            try
            {
                Cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
            Connection.Abort();
        }

        public async Task CloseAsync()
        {
            Abort();
            if (Receiver is not null)
            {
                await Receiver.ConfigureAwait(false);
            }
        }
    }
}
