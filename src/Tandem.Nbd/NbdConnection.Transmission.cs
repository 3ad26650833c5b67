using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Tandem.Core.Volumes;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd;

internal sealed partial class NbdConnection
{
    private const int MaxBatchBytes = 1024 * 1024;
    private const int LargeReply = 256 * 1024;

    private readonly List<Reply> _pending = [];
    private readonly object _sendLock = new();
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private InFlightBudget? _budget;
    private bool _transmitting;

    /// <summary>A finished request on its way to the send loop; owns <see cref="Buffer"/> (pooled) if any.</summary>
    private readonly record struct Reply(ulong Cookie, NbdCommand Command, NbdError Error, byte[]? Buffer, int Length, ulong Offset, int BudgetBytes);

    private async ValueTask<string> TransmitAsync(PipeReader reader)
    {
        var export = _export!;
        var limits = new NbdExportLimits(export.Volume.Size, TransmissionFlags(export),
            Math.Max(1, export.Volume.MinimumBlockSize), NbdConstants.MaxPayload, _structured);
        var budget = new InFlightBudget(_options.MaxInFlightRequests, Math.Max(_options.MaxInFlightBytes, NbdConstants.MaxPayload));
        _budget = budget;
        // Requests that completed synchronously are answered by the receive loop itself, in one
        // batch just before it would block on the socket (no thread hop, one send per batch);
        // requests that completed asynchronously go through this channel to the send loop.
        var channel = Channel.CreateUnbounded<Reply>(new UnboundedChannelOptions { SingleReader = true });
        using var sendCts = new CancellationTokenSource();
        using var sendStop = sendCts.Token.Register(static s => ((BlockingSocketStream)s!).Shutdown(), _stream!);
        var sendTask = SendLoopAsync(channel.Reader, budget, sendCts.Token);
        _transmitting = true;
        try
        {
            return await ReceiveLoopAsync(reader, channel.Writer, budget, limits, _cts.Token).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                FlushReplies();
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // The client is gone; FlushReplies has released what it held.
            }
            _transmitting = false;
            // The protocol asks a closing server to answer what it has accepted: wait (bounded)
            // for in-flight requests and their replies, then stop the send loop. Replies that
            // cannot be delivered in time are dropped with the connection.
            budget.WaitIdle(_options.ShutdownGrace);
            channel.Writer.TryComplete();
            sendCts.CancelAfter(_options.ShutdownGrace);
            await sendTask.ConfigureAwait(false);
        }
    }

    private async ValueTask<string> ReceiveLoopAsync(PipeReader reader, ChannelWriter<Reply> replies, InFlightBudget budget,
        NbdExportLimits limits, CancellationToken cancellationToken)
    {
        var headerBytes = new byte[NbdRequestHeader.Size];
        var volume = _export!.Volume;
        // Polling pays only for a client that waits for its one request (see MayPoll); the
        // replies already made are sent before the wait, so what remains is still being served.
        _stream?.MayPoll = () => budget.Requests <= 1;
        while (true)
        {
            var buffer = await ReadAtLeastAsync(reader, NbdRequestHeader.Size, cancellationToken).ConfigureAwait(false);
            if (buffer.Length < NbdRequestHeader.Size)
            {
                reader.AdvanceTo(buffer.End);
                if (cancellationToken.IsCancellationRequested)
                {
                    return "server stopping";
                }
                return buffer.IsEmpty ? "client closed the connection" : "client closed inside a request header";
            }
            buffer.Slice(0, NbdRequestHeader.Size).CopyTo(headerBytes);
            reader.AdvanceTo(buffer.GetPosition(NbdRequestHeader.Size));
            Touch();
            if (!NbdRequestHeader.TryParse(headerBytes, out var request))
            {
                throw new NbdProtocolException("request without the request magic");
            }
            if (request.Command == NbdCommand.Disconnect)
            {
                return "client sent DISC";
            }

            var error = NbdRequestValidator.Validate(request, limits);
            byte[]? data = null;
            var bytes = 0;
            if (NbdRequestValidator.HasPayload(request))
            {
                if (error != NbdError.None)
                {
                    // The payload is part of the stream whatever we think of it: drain it (without
                    // buffering it all) so that the next header is found where the client put it.
                    FlushReplies();
                    await SkipAsync(reader, request.Length, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    bytes = (int)request.Length;
                    Acquire(budget, bytes, cancellationToken);
                    data = ArrayPool<byte>.Shared.Rent(bytes);
                    try
                    {
                        ReadPayload(reader, data.AsSpan(0, bytes));
                    }
                    catch
                    {
                        ArrayPool<byte>.Shared.Return(data);
                        budget.Release(1, bytes);
                        throw;
                    }
                }
            }
            else if (error == NbdError.None && request.Command == NbdCommand.Read)
            {
                bytes = (int)request.Length;
                Acquire(budget, bytes, cancellationToken);
                data = ArrayPool<byte>.Shared.Rent(bytes);
            }

            if (error != NbdError.None)
            {
                Log.RequestRejected(_logger, Id, (ushort)request.Command, request.Offset, request.Length, (ushort)request.Flags, (uint)error);
                Acquire(budget, 0, cancellationToken);
                _pending.Add(new Reply(request.Cookie, request.Command, error, null, 0, 0, 0));
                continue;
            }
            if (bytes == 0)
            {
                Acquire(budget, 0, cancellationToken);
            }

            var pending = ExecuteAsync(volume, request, data, cancellationToken);
            if (pending.IsCompleted)
            {
                _pending.Add(MakeReply(request, data, bytes, pending.Result));
            }
            else
            {
                // Owned by the budget: the connection waits for it before closing.
                _ = FinishLaterAsync(replies, budget, request, data, bytes, pending);
            }
        }
    }

    /// <summary>Fills a WRITE payload: first from what the pipe already holds, then straight from
    /// the socket into the payload buffer (no second copy for large writes).</summary>
    private void ReadPayload(PipeReader reader, Span<byte> destination)
    {
        if (reader.TryRead(out var result))
        {
            var take = (int)Math.Min(result.Buffer.Length, destination.Length);
            result.Buffer.Slice(0, take).CopyTo(destination);
            reader.AdvanceTo(result.Buffer.GetPosition(take));
            destination = destination[take..];
        }
        if (destination.IsEmpty)
        {
            return;
        }
        // The pipe is drained and has no read outstanding (reads are synchronous), so reading the
        // stream directly keeps the byte order.
        FlushReplies();
        _io!.ReadExactly(destination);
    }

    private void Acquire(InFlightBudget budget, int bytes, CancellationToken cancellationToken)
    {
        if (!budget.TryAcquire(bytes))
        {
            // Our own unsent replies hold budget: send them before waiting for it.
            FlushReplies();
            budget.Acquire(bytes, cancellationToken);
        }
    }

    private async ValueTask<NbdError> ExecuteAsync(IBlockVolume volume, NbdRequestHeader request, byte[]? data, CancellationToken cancellationToken)
    {
        var offset = (long)request.Offset;
        var length = (int)Math.Min(request.Length, int.MaxValue);
        var fua = (request.Flags & NbdCommandFlags.Fua) != 0;
        try
        {
            switch (request.Command)
            {
                case NbdCommand.Read:
                    await volume.ReadAsync(offset, data.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                    break;
                case NbdCommand.Write:
                    await volume.WriteAsync(offset, data.AsMemory(0, length), fua, cancellationToken).ConfigureAwait(false);
                    break;
                case NbdCommand.Flush:
                    await volume.FlushAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case NbdCommand.Trim:
                    await volume.TrimAsync(offset, request.Length, fua, cancellationToken).ConfigureAwait(false);
                    break;
                case NbdCommand.WriteZeroes:
                {
                    var flags = WriteZeroesFlags.None;
                    if ((request.Flags & NbdCommandFlags.NoHole) != 0)
                    {
                        flags |= WriteZeroesFlags.NoHole;
                    }
                    if ((request.Flags & NbdCommandFlags.FastZero) != 0)
                    {
                        flags |= WriteZeroesFlags.FastOnly;
                    }
                    if (fua)
                    {
                        flags |= WriteZeroesFlags.ForceUnitAccess;
                    }
                    if (!await volume.WriteZeroesAsync(offset, request.Length, flags, cancellationToken).ConfigureAwait(false))
                    {
                        return NbdError.NotSupported;
                    }
                    break;
                }
                case NbdCommand.Cache:
                    // Advisory; the page cache already holds what was read recently.
                    break;
                default:
                    return NbdError.Invalid;
            }
            return NbdError.None;
        }
        catch (VolumeException ex)
        {
            if (ex.Error is VolumeError.Io)
            {
                Log.VolumeError(_logger, Id, (ushort)request.Command, request.Offset, request.Length, ex);
            }
            return ex.Error switch
            {
                VolumeError.NoSpace => NbdError.NoSpace,
                VolumeError.ReadOnly => NbdError.Perm,
                VolumeError.Invalid => NbdError.Invalid,
                VolumeError.Shutdown => NbdError.Shutdown,
                _ => NbdError.Io,
            };
        }
        catch (OperationCanceledException)
        {
            return NbdError.Shutdown;
        }
        catch (Exception ex)
        {
            Log.VolumeError(_logger, Id, (ushort)request.Command, request.Offset, request.Length, ex);
            return NbdError.Io;
        }
    }

    private async Task FinishLaterAsync(ChannelWriter<Reply> replies, InFlightBudget budget, NbdRequestHeader request,
        byte[]? data, int bytes, ValueTask<NbdError> pending)
    {
        var reply = MakeReply(request, data, bytes, await pending.ConfigureAwait(false));
        if (budget.Requests == 1 && TrySendNow(reply, budget))
        {
            return;
        }
        if (!replies.TryWrite(reply))
        {
            Discard(budget, reply);
        }
    }

    /// <summary>
    /// Sends the reply of the only request in flight on the thread that completed it (queue depth
    /// 1: nothing to batch, and waking the send loop would cost a thread hop); false when the send
    /// lock is busy, then the send loop sends it.
    /// </summary>
    private bool TrySendNow(in Reply reply, InFlightBudget budget)
    {
        if (!Monitor.TryEnter(_sendLock))
        {
            return false;
        }
        try
        {
            WriteReply(reply);
            SendOutput();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            Abort();
        }
        finally
        {
            _output.ResetWrittenCount();
            Monitor.Exit(_sendLock);
            budget.Release(1, reply.BudgetBytes);
        }
        return true;
    }

    private static Reply MakeReply(in NbdRequestHeader request, byte[]? data, int bytes, NbdError error)
    {
        if (request.Command == NbdCommand.Read && error == NbdError.None)
        {
            return new Reply(request.Cookie, request.Command, error, data, bytes, request.Offset, bytes);
        }
        if (data is not null)
        {
            ArrayPool<byte>.Shared.Return(data);
        }
        return new Reply(request.Cookie, request.Command, error, null, 0, request.Offset, bytes);
    }

    private static void Discard(InFlightBudget budget, Reply reply)
    {
        if (reply.Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(reply.Buffer);
        }
        budget.Release(1, reply.BudgetBytes);
    }

    /// <summary>Sends the replies the receive loop collected (called on the receive thread only).</summary>
    private void FlushReplies()
    {
        if (!_transmitting || _pending.Count == 0)
        {
            return;
        }
        var count = _pending.Count;
        long bytes = 0;
        foreach (var reply in _pending)
        {
            bytes += reply.BudgetBytes;
        }
        var written = 0;
        try
        {
            lock (_sendLock)
            {
                try
                {
                    for (; written < count; written++)
                    {
                        WriteReply(_pending[written]);
                    }
                    SendOutput();
                }
                finally
                {
                    _output.ResetWrittenCount();
                }
            }
        }
        finally
        {
            // WriteReply returns each read buffer, also when it fails; the ones after a failure
            // were never reached.
            for (var i = written + 1; i < count; i++)
            {
                if (_pending[i].Buffer is { } buffer)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            _pending.Clear();
            // Budget is released only once the bytes left the process: a client that stops
            // reading therefore stops its own receive loop, and nobody else's.
            _budget!.Release(count, bytes);
        }
    }

    private async Task SendLoopAsync(ChannelReader<Reply> replies, InFlightBudget budget, CancellationToken cancellationToken)
    {
        try
        {
            while (await replies.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var count = 0;
                long bytes = 0;
                lock (_sendLock)
                {
                    try
                    {
                        while (_output.WrittenCount < MaxBatchBytes && replies.TryRead(out var reply))
                        {
                            count++;
                            bytes += reply.BudgetBytes;
                            WriteReply(reply);
                        }
                        SendOutput();
                    }
                    finally
                    {
                        budget.Release(count, bytes);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            Abort();
            // Keep accounting so that the receive side's wait for in-flight requests ends.
            while (await replies.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (replies.TryRead(out var reply))
                {
                    Discard(budget, reply);
                }
            }
        }
    }

    private void SendOutput()
    {
        if (_output.WrittenCount > 0)
        {
            try
            {
                _io!.Write(_output.WrittenSpan);
            }
            finally
            {
                _output.ResetWrittenCount();
            }
        }
    }

    private void WriteReply(in Reply reply)
    {
        if (reply.Error == NbdError.None)
        {
            if (reply.Command == NbdCommand.Read)
            {
                if (_structured)
                {
                    var span = _output.GetSpan(NbdStructuredReplyHeader.Size + NbdStructuredReplyHeader.OffsetDataPrefix);
                    new NbdStructuredReplyHeader(true, NbdReplyType.OffsetData, reply.Cookie,
                        (uint)(NbdStructuredReplyHeader.OffsetDataPrefix + reply.Length)).Format(span);
                    BinaryPrimitives.WriteUInt64BigEndian(span[NbdStructuredReplyHeader.Size..], reply.Offset);
                    _output.Advance(NbdStructuredReplyHeader.Size + NbdStructuredReplyHeader.OffsetDataPrefix);
                }
                else
                {
                    var span = _output.GetSpan(NbdSimpleReplyHeader.Size);
                    new NbdSimpleReplyHeader(NbdError.None, reply.Cookie).Format(span);
                    _output.Advance(NbdSimpleReplyHeader.Size);
                }
                try
                {
                    var data = reply.Buffer.AsSpan(0, reply.Length);
                    if (data.Length > LargeReply)
                    {
                        // Large data goes straight from its buffer to the socket.
                        SendOutput();
                        _io!.Write(data);
                    }
                    else
                    {
                        _output.Write(data);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(reply.Buffer!);
                }
                return;
            }
            var simple = _output.GetSpan(NbdSimpleReplyHeader.Size);
            new NbdSimpleReplyHeader(NbdError.None, reply.Cookie).Format(simple);
            _output.Advance(NbdSimpleReplyHeader.Size);
            return;
        }

        if (_structured)
        {
            // Structured errors carry a message for the human at the client.
            var message = ErrorMessage(reply.Error);
            var payloadLength = NbdStructuredReplyHeader.ErrorPrefix + message.Length;
            var span = _output.GetSpan(NbdStructuredReplyHeader.Size + payloadLength);
            new NbdStructuredReplyHeader(true, NbdReplyType.Error, reply.Cookie, (uint)payloadLength).Format(span);
            BinaryPrimitives.WriteUInt32BigEndian(span[NbdStructuredReplyHeader.Size..], (uint)reply.Error);
            BinaryPrimitives.WriteUInt16BigEndian(span[(NbdStructuredReplyHeader.Size + 4)..], (ushort)message.Length);
            message.CopyTo(span[(NbdStructuredReplyHeader.Size + NbdStructuredReplyHeader.ErrorPrefix)..]);
            _output.Advance(NbdStructuredReplyHeader.Size + payloadLength);
            return;
        }
        var header = _output.GetSpan(NbdSimpleReplyHeader.Size);
        new NbdSimpleReplyHeader(reply.Error, reply.Cookie).Format(header);
        _output.Advance(NbdSimpleReplyHeader.Size);
    }

    private static ReadOnlySpan<byte> ErrorMessage(NbdError error) => error switch
    {
        NbdError.Perm => "export is read-only"u8,
        NbdError.Io => "I/O error on the volume"u8,
        NbdError.Invalid => "invalid request (command, flags, alignment or range)"u8,
        NbdError.NoSpace => "write beyond the end of the export"u8,
        NbdError.Overflow => "request larger than the maximum payload"u8,
        NbdError.NotSupported => "fast zeroing is not possible here"u8,
        NbdError.Shutdown => "server is shutting down"u8,
        _ => "error"u8,
    };
}
