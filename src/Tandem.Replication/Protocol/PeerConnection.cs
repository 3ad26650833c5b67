using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Tandem.Replication.Protocol;

/// <summary>
/// One framed connection to the peer. One receive path (the caller's loop) and one send loop fed
/// by two queues: control frames (acks, barrier acks, pings) always go before bulk frames
/// (replicated data, resync data), so acknowledgements are never stuck behind bulk data queued
/// on this side. A frame that is alone (nothing queued, nothing being written) may instead be sent
/// at once on the caller's thread, without blocking (docs/replication.md, "How the write path
/// runs").
/// </summary>
internal sealed class PeerConnection : IAsyncDisposable
{
    /// <summary>A queued entry that carries no frame, only a completion (see <see cref="TrySendDirect"/>).</summary>
    private const FrameType WakeOnly = 0;

    /// <summary>A queued entry whose payload is one or more whole frames, headers included.</summary>
    private const FrameType Framed = (FrameType)0xFFFF;

    private readonly Stream _stream;
    private readonly Stream _output;
    private readonly Channel<OutFrame> _control = Channel.CreateUnbounded<OutFrame>();
    // Unbounded so that the write path can queue under its ordering lock; the NBD server bounds
    // the requests in flight.
    private readonly Channel<OutFrame> _bulk = Channel.CreateUnbounded<OutFrame>();
    private readonly CancellationTokenSource _cts = new();
    private readonly byte[] _header = new byte[FrameHeader.Size];
    // Held by whoever writes to the socket: the send loop, or a caller sending directly.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Socket? _socket;
    private readonly List<ArraySegment<byte>> _segments = new(2);
    private readonly byte[] _directHead = new byte[FrameHeader.Size + 64];
    private readonly byte[] _in = new byte[64 << 10];
    private int _inStart;
    private int _inEnd;
    private readonly List<(FrameType Type, byte[] Payload)> _corked = []; // acks held by the receive thread
    private ReadOnlyMemory<byte> _rest; // what a direct send left unsent: goes before anything queued
    private Task? _sender;
    private long _bytesSent;
    private bool _direct;

    /// <param name="stream">The socket stream (read directly).</param>
    public PeerConnection(Stream stream)
    {
        _stream = stream;
        // Writes are buffered so that a header and a small body leave in one segment; only the
        // send loop (or the handshake, before it starts) writes.
        _output = new BufferedStream(stream, 64 << 10);
        _socket = (stream as NetworkStream)?.Socket;
    }

    /// <summary>Bytes written to the socket so far, frame headers included.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Completes when the send loop ends (connection lost or disposed).</summary>
    public Task Completion => _sender ?? Task.CompletedTask;

    /// <summary>Sends one frame immediately (handshake only, before <see cref="StartSending"/>).</summary>
    public async Task WriteDirectAsync(FrameType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await WriteFrameAsync(new OutFrame(type, default, payload, null), cancellationToken).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public void StartSending()
    {
        if (_socket is not null)
        {
            // Direct sends must never block (a caller may hold the volume's lock, and two peers
            // blocked sending to each other would deadlock): the socket only tries, and the
            // send loop (async) finishes what did not fit.
            _socket.Blocking = false;
            _direct = true;
        }
        _sender = SendLoopAsync(_cts.Token);
    }

    /// <summary>Queues a frame. <paramref name="sent"/>, if given, completes when it was written to the socket.</summary>
    /// <param name="type">The frame type.</param>
    /// <param name="head">A small header before the payload, or empty.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="control">Send before any bulk frame queued.</param>
    /// <param name="sent">Completed when the frame was handed to the socket, or null.</param>
    /// <param name="direct">Try to send on the caller's thread (no send-loop wake-up) when nothing is queued:
    /// for a frame that is alone (one write in flight, the ack of the last frame received);
    /// several frames in a row are cheaper batched by the send loop.</param>
    /// <returns>False when the connection is closed.</returns>
    public bool Enqueue(FrameType type, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> payload, bool control, TaskCompletionSource? sent = null, bool direct = false)
    {
        var frame = new OutFrame(type, head, payload, sent);
        return Enqueue(frame, control, direct);
    }

    /// <summary>
    /// Queues a bulk frame whose payload is the first <paramref name="length"/> bytes of
    /// <paramref name="rented"/>, an array of <see cref="ArrayPool{T}.Shared"/> that goes back to
    /// the pool once written: a resync sends hundreds of large frames a second, and fresh arrays
    /// of that size would each cost page faults.
    /// </summary>
    /// <returns>False when the connection is closed (the array is then not returned).</returns>
    public bool EnqueueRented(FrameType type, byte[] rented, int length) =>
        Enqueue(new OutFrame(type, default, rented.AsMemory(0, length), null) { Rented = rented }, control: false, direct: false);

    private bool Enqueue(OutFrame frame, bool control, bool direct)
    {
        var sent = frame.Sent;
        if (direct && _direct && TrySendDirect(frame))
        {
            return true;
        }
        var ok = (control ? _control.Writer : _bulk.Writer).TryWrite(frame);
        if (!ok)
        {
            sent?.TrySetException(new IOException("connection closed"));
        }
        return ok;
    }

    /// <summary>
    /// Sends an acknowledgement (a control frame) for a frame just received. While more received
    /// frames wait in the buffer, the receive thread holds its acks back and sends them together,
    /// in order, once the buffer is drained (always before it waits for more input): one system
    /// call and one wake-up of the peer for a burst, and none of the send loop.
    /// </summary>
    public void EnqueueAck(FrameType type, byte[] payload)
    {
        if (ReceiveThread == Thread.CurrentThread || _corked.Count > 0)
        {
            _corked.Add((type, payload));
            if (!InputBuffered)
            {
                FlushAcks();
            }
            return;
        }
        Enqueue(type, default, payload, control: true, direct: true);
    }

    /// <summary>Sends the acks held back, as one framed block (receive thread).</summary>
    private void FlushAcks()
    {
        if (_corked.Count == 0)
        {
            return;
        }
        if (_corked.Count == 1)
        {
            var (type, payload) = _corked[0];
            _corked.Clear();
            Enqueue(type, default, payload, control: true, direct: true);
            return;
        }
        var size = 0;
        foreach (var (_, payload) in _corked)
        {
            size += FrameHeader.Size + payload.Length;
        }
        var block = new byte[size];
        var at = 0;
        foreach (var (type, payload) in _corked)
        {
            new FrameHeader(type, payload.Length).Format(block.AsSpan(at));
            payload.CopyTo(block, at + FrameHeader.Size);
            at += FrameHeader.Size + payload.Length;
        }
        _corked.Clear();
        Enqueue(Framed, default, block, control: true, direct: true);
    }

    /// <summary>Closes the socket at once, without sending anything more (a cut cable).</summary>
    public void Abort()
    {
        _control.Writer.TryComplete();
        _bulk.Writer.TryComplete();
        Shutdown();
        _stream.Dispose();
    }

    /// <summary>Wakes a receive thread blocked in poll (closing the descriptor alone does not).</summary>
    private void Shutdown()
    {
        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>
    /// The thread that may block in the socket (see <see cref="ReceiveAsync"/>): a dedicated
    /// receive thread, or null. Must be set on that thread before it receives.
    /// </summary>
    public Thread? ReceiveThread { get; set; }

    /// <summary>Reads one frame; throws <see cref="ProtocolException"/> on a bad header and <see cref="EndOfStreamException"/> at the end.</summary>
    /// <remarks>
    /// On <see cref="ReceiveThread"/> the socket is read by blocking in poll(2) on that thread: one
    /// wake-up per arrival, where an asynchronous receive costs the epoll thread's wake-up and a
    /// hop to the thread pool (measured in docs/benchmarks.md). Anywhere else (the handshake, or
    /// the loop after a handler completed asynchronously) it reads asynchronously. Both read
    /// through one buffer, so a burst of small frames costs one system call.
    /// </remarks>
    public async ValueTask<(FrameType Type, byte[] Payload)> ReceiveAsync(CancellationToken cancellationToken)
    {
        var frame = await ReceiveFrameAsync(pooled: false, cancellationToken).ConfigureAwait(false);
        return (frame.Type, frame.Buffer);
    }

    /// <summary>
    /// Reads one frame as <see cref="ReceiveAsync"/> does, but the payload of a write (Data,
    /// ResyncData) lands in a pooled buffer, which the caller gives back with
    /// <see cref="ReceivedFrame.Release"/> once nothing reads it any more: a Secondary receives
    /// every write of its Primary, and a fresh 1 MiB array per write costs page faults and
    /// garbage collections of the large-object heap (docs/benchmarks.md).
    /// </summary>
    public ValueTask<ReceivedFrame> ReceiveFrameAsync(CancellationToken cancellationToken) =>
        ReceiveFrameAsync(pooled: true, cancellationToken);

    private async ValueTask<ReceivedFrame> ReceiveFrameAsync(bool pooled, CancellationToken cancellationToken)
    {
        var header = new byte[FrameHeader.Size];
        await ReadExactAsync(header, cancellationToken).ConfigureAwait(false);
        if (!FrameHeader.TryParse(header, out var h, out var error))
        {
            throw new ProtocolException($"bad frame from the peer: {error}");
        }
        if (h.Length == 0)
        {
            return new ReceivedFrame(h.Type, [], 0, Pooled: false);
        }
        pooled &= h.Type is FrameType.Data or FrameType.ResyncData or FrameType.ResyncBatch;
        // Uninitialized: it is filled at once, and zeroing a 1 MiB payload costs as much as its copy.
        var payload = pooled ? ArrayPool<byte>.Shared.Rent(h.Length) : GC.AllocateUninitializedArray<byte>(h.Length);
        try
        {
            await ReadExactAsync(payload.AsMemory(0, h.Length), cancellationToken).ConfigureAwait(false);
        }
        catch when (pooled)
        {
            ArrayPool<byte>.Shared.Return(payload);
            throw;
        }
        return new ReceivedFrame(h.Type, payload, h.Length, pooled);
    }

    /// <summary>True when received bytes wait in the buffer: more frames follow at once.</summary>
    public bool InputBuffered => _inEnd > _inStart;

    private async ValueTask ReadExactAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            if (_inEnd > _inStart)
            {
                var n = Math.Min(destination.Length, _inEnd - _inStart);
                _in.AsMemory(_inStart, n).CopyTo(destination);
                _inStart += n;
                destination = destination[n..];
                continue;
            }
            // About to wait for input: the acks held back go first (the peer may be waiting for them).
            FlushAcks();
            // Large payloads are read straight into place; everything else through the buffer.
            var direct = destination.Length >= _in.Length;
            var target = direct ? destination : _in;
            var read = _socket is not null && ReceiveThread == Thread.CurrentThread
                ? ReceiveBlocking(target.Span, cancellationToken)
                : await _stream.ReadAsync(target, cancellationToken).ConfigureAwait(false);
            if (read <= 0)
            {
                throw new EndOfStreamException();
            }
            if (direct)
            {
                destination = destination[read..];
            }
            else
            {
                _inStart = 0;
                _inEnd = read;
            }
        }
    }

    private int ReceiveBlocking(Span<byte> target, CancellationToken cancellationToken)
    {
        var socket = _socket!;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A bounded wait, so that a cancellation is noticed even if no shutdown wakes the poll.
            if (!socket.Poll(TimeSpan.FromMilliseconds(500), SelectMode.SelectRead))
            {
                continue;
            }
            var n = socket.Receive(target, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                return n;
            }
            if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _control.Writer.TryComplete();
        _bulk.Writer.TryComplete();
        await _cts.CancelAsync().ConfigureAwait(false);
        Shutdown();
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (_sender is not null)
        {
            try
            {
                await _sender.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The loop's failure is the connection's loss, already reported by the receiver.
            }
        }
        _cts.Dispose();
        FailPending(_control.Reader);
        FailPending(_bulk.Reader);
    }

    private static void FailPending(ChannelReader<OutFrame> reader)
    {
        while (reader.TryRead(out var f))
        {
            f.Sent?.TrySetException(new IOException("connection closed before the frame was sent"));
        }
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (!_rest.IsEmpty || _control.Reader.Count > 0 || _bulk.Reader.Count > 0)
                {
                    await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        if (!_rest.IsEmpty)
                        {
                            var rest = _rest;
                            _rest = default;
                            await _output.WriteAsync(rest, cancellationToken).ConfigureAwait(false);
                        }
                        while (_control.Reader.TryRead(out var frame) || _bulk.Reader.TryRead(out frame))
                        {
                            if (frame.Type != WakeOnly)
                            {
                                await WriteFrameAsync(frame, cancellationToken).ConfigureAwait(false);
                            }
                            if (frame.Rented is { } rented)
                            {
                                // The buffered stream copied it, or wrote it through: nothing refers to it now.
                                ArrayPool<byte>.Shared.Return(rented);
                            }
                            // Handed over: whatever is buffered is flushed before the gate opens.
                            frame.Sent?.TrySetResult();
                        }
                        // Nothing is left buffered when the gate opens: a direct send goes after it.
                        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        _writeGate.Release();
                    }
                    continue;
                }
                var control = _control.Reader.WaitToReadAsync(cancellationToken).AsTask();
                var bulk = _bulk.Reader.WaitToReadAsync(cancellationToken).AsTask();
                var done = await Task.WhenAny(control, bulk).ConfigureAwait(false);
                if (!await done.ConfigureAwait(false))
                {
                    return; // completed: disposing
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // A broken socket: close it so that the receive path sees the loss too.
            Shutdown();
            _stream.Dispose();
        }
        finally
        {
            // A broken socket: nobody will read the queue any more.
            _direct = false;
            _control.Writer.TryComplete();
            _bulk.Writer.TryComplete();
            FailPending(_control.Reader);
            FailPending(_bulk.Reader);
        }
    }

    /// <summary>
    /// Sends a frame on the caller's thread when nothing is queued or being written: the common
    /// case of one write (or one ack) at a time then costs no wake-up of the send loop. Only what
    /// the socket takes at once is sent; the rest is left to the send loop, ahead of any queue.
    /// </summary>
    /// <returns>False when the frame must be queued instead.</returns>
    private bool TrySendDirect(OutFrame frame)
    {
        if (_control.Reader.Count > 0 || _bulk.Reader.Count > 0 || frame.Head.Length > _directHead.Length - FrameHeader.Size
            || !MemoryMarshal.TryGetArray(frame.Payload, out var payload) || !_writeGate.Wait(0))
        {
            return false;
        }
        try
        {
            if (!_direct || !_rest.IsEmpty || _control.Reader.Count > 0 || _bulk.Reader.Count > 0)
            {
                return false;
            }
            var length = frame.Head.Length + frame.Payload.Length;
            var headLength = 0;
            _segments.Clear();
            if (frame.Type != Framed)
            {
                new FrameHeader(frame.Type, length).Format(_directHead);
                frame.Head.Span.CopyTo(_directHead.AsSpan(FrameHeader.Size));
                headLength = FrameHeader.Size + frame.Head.Length;
                _segments.Add(new ArraySegment<byte>(_directHead, 0, headLength));
            }
            if (payload.Count > 0)
            {
                _segments.Add(payload);
            }
            int sent;
            try
            {
                sent = _socket!.Send(_segments, SocketFlags.None, out _);
            }
            catch (ObjectDisposedException)
            {
                sent = 0;
            }
            sent = Math.Max(sent, 0);
            Interlocked.Add(ref _bytesSent, headLength + payload.Count);
            if (sent < headLength + payload.Count)
            {
                // The socket is full (or broken): the send loop writes the rest, or fails on it.
                var rest = new byte[headLength + payload.Count - sent];
                if (sent < headLength)
                {
                    _directHead.AsSpan(sent, headLength - sent).CopyTo(rest);
                    payload.AsSpan().CopyTo(rest.AsSpan(headLength - sent));
                }
                else
                {
                    payload.AsSpan(sent - headLength).CopyTo(rest);
                }
                _rest = rest;
                // Wake the send loop; the entry only carries the completion. If the loop is gone,
                // the caller sees the connection closed, as for a queued frame.
                return _control.Writer.TryWrite(new OutFrame(WakeOnly, default, default, frame.Sent));
            }
            frame.Sent?.TrySetResult();
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async ValueTask WriteFrameAsync(OutFrame frame, CancellationToken cancellationToken)
    {
        if (frame.Type == Framed)
        {
            Interlocked.Add(ref _bytesSent, frame.Payload.Length);
            await _output.WriteAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
            return;
        }
        var length = frame.Head.Length + frame.Payload.Length;
        Interlocked.Add(ref _bytesSent, FrameHeader.Size + length);
        new FrameHeader(frame.Type, length).Format(_header);
        await _output.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        if (!frame.Head.IsEmpty)
        {
            await _output.WriteAsync(frame.Head, cancellationToken).ConfigureAwait(false);
        }
        if (!frame.Payload.IsEmpty)
        {
            await _output.WriteAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record OutFrame(FrameType Type, ReadOnlyMemory<byte> Head, ReadOnlyMemory<byte> Payload, TaskCompletionSource? Sent)
    {
        /// <summary>The pooled array behind <see cref="Payload"/>, returned after the write.</summary>
        public byte[]? Rented { get; init; }
    }
}
