using System.Threading.Channels;

namespace Tandem.Replication.Protocol;

/// <summary>
/// One framed connection to the peer. One receive path (the caller's loop) and one send loop fed
/// by two queues: control frames (acks, barrier acks, pings) always go before bulk frames
/// (replicated data, resync data), so acknowledgements are never stuck behind bulk data queued
/// on this side.
/// </summary>
internal sealed class PeerConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Stream _output;
    private readonly Channel<OutFrame> _control = Channel.CreateUnbounded<OutFrame>();
    // Unbounded so that the write path can queue under its ordering lock; the NBD server bounds
    // the requests in flight.
    private readonly Channel<OutFrame> _bulk = Channel.CreateUnbounded<OutFrame>();
    private readonly CancellationTokenSource _cts = new();
    private readonly byte[] _header = new byte[FrameHeader.Size];
    private Task? _sender;
    private long _bytesSent;

    /// <param name="stream">The socket stream (read directly).</param>
    public PeerConnection(Stream stream)
    {
        _stream = stream;
        // Writes are buffered so that a header and a small body leave in one segment; only the
        // send loop (or the handshake, before it starts) writes.
        _output = new BufferedStream(stream, 64 << 10);
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

    public void StartSending() => _sender = SendLoopAsync(_cts.Token);

    /// <summary>Queues a frame. <paramref name="sent"/>, if given, completes when it was written to the socket.</summary>
    /// <returns>False when the connection is closed.</returns>
    public bool Enqueue(FrameType type, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> payload, bool control, TaskCompletionSource? sent = null)
    {
        var frame = new OutFrame(type, head, payload, sent);
        var ok = (control ? _control.Writer : _bulk.Writer).TryWrite(frame);
        if (!ok)
        {
            sent?.TrySetException(new IOException("connection closed"));
        }
        return ok;
    }

    /// <summary>Closes the socket at once, without sending anything more (a cut cable).</summary>
    public void Abort()
    {
        _control.Writer.TryComplete();
        _bulk.Writer.TryComplete();
        _stream.Dispose();
    }

    /// <summary>Reads one frame; throws <see cref="ProtocolException"/> on a bad header and <see cref="EndOfStreamException"/> at the end.</summary>
    public async Task<(FrameType Type, byte[] Payload)> ReceiveAsync(CancellationToken cancellationToken)
    {
        var header = new byte[FrameHeader.Size];
        await _stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        if (!FrameHeader.TryParse(header, out var h, out var error))
        {
            throw new ProtocolException($"bad frame from the peer: {error}");
        }
        var payload = h.Length == 0 ? [] : new byte[h.Length];
        await _stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return (h.Type, payload);
    }

    public async ValueTask DisposeAsync()
    {
        _control.Writer.TryComplete();
        _bulk.Writer.TryComplete();
        await _cts.CancelAsync().ConfigureAwait(false);
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
                if (_control.Reader.TryRead(out var frame) || _bulk.Reader.TryRead(out frame))
                {
                    await WriteFrameAsync(frame, cancellationToken).ConfigureAwait(false);
                    if (_control.Reader.Count == 0 && _bulk.Reader.Count == 0)
                    {
                        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    frame.Sent?.TrySetResult();
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
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // A broken socket: close it so that the receive path sees the loss too.
            _stream.Dispose();
        }
        finally
        {
            // A broken socket: nobody will read the queue any more.
            _control.Writer.TryComplete();
            _bulk.Writer.TryComplete();
            FailPending(_control.Reader);
            FailPending(_bulk.Reader);
        }
    }

    private async ValueTask WriteFrameAsync(OutFrame frame, CancellationToken cancellationToken)
    {
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

    private sealed record OutFrame(FrameType Type, ReadOnlyMemory<byte> Head, ReadOnlyMemory<byte> Payload, TaskCompletionSource? Sent);
}
