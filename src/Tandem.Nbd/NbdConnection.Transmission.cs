using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using Tandem.Core.Volumes;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd;

internal sealed partial class NbdConnection
{
    private const int MaxBatchBytes = 1024 * 1024;

    /// <summary>A finished request on its way to the send loop; owns <see cref="Buffer"/> (pooled) if any.</summary>
    private readonly record struct Reply(ulong Cookie, NbdCommand Command, NbdError Error, byte[]? Buffer, int Length, ulong Offset, int BudgetBytes);

    private async ValueTask<string> TransmitAsync(PipeReader reader, PipeWriter writer)
    {
        var export = _export!;
        var limits = new NbdExportLimits(export.Volume.Size, TransmissionFlags(export),
            Math.Max(1, export.Volume.MinimumBlockSize), NbdConstants.MaxPayload, _structured);
        var budget = new InFlightBudget(_options.MaxInFlightRequests, Math.Max(_options.MaxInFlightBytes, NbdConstants.MaxPayload));
        // Synchronous continuations let a reply finished on the receive loop be written by the
        // same thread (no hop at queue depth 1); a blocked socket makes the send loop yield.
        var channel = Channel.CreateUnbounded<Reply>(new UnboundedChannelOptions
        {
            SingleReader = true,
            AllowSynchronousContinuations = true,
        });
        using var sendCts = new CancellationTokenSource();
        var sendTask = SendLoopAsync(writer, channel.Reader, budget, sendCts.Token);
        try
        {
            return await ReceiveLoopAsync(reader, channel.Writer, budget, limits, _cts.Token).ConfigureAwait(false);
        }
        finally
        {
            // The protocol asks a closing server to answer what it has accepted: wait (bounded)
            // for in-flight requests and their replies, then stop the send loop.
            using (var grace = new CancellationTokenSource(_options.ShutdownGrace))
            {
                try
                {
                    await budget.WaitIdleAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Replies that could not be delivered in time are dropped with the connection.
                }
            }
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
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length < NbdRequestHeader.Size)
            {
                if (result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.End);
                    return buffer.IsEmpty ? "client closed the connection" : "client closed inside a request header";
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            buffer.Slice(0, NbdRequestHeader.Size).CopyTo(headerBytes);
            reader.AdvanceTo(buffer.GetPosition(NbdRequestHeader.Size));
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
                    await SkipAsync(reader, request.Length, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    bytes = (int)request.Length;
                    await budget.AcquireAsync(bytes, cancellationToken).ConfigureAwait(false);
                    var payload = await ReadAtLeastAsync(reader, bytes, cancellationToken).ConfigureAwait(false);
                    data = ArrayPool<byte>.Shared.Rent(bytes);
                    payload.Slice(0, bytes).CopyTo(data);
                    reader.AdvanceTo(payload.GetPosition(bytes));
                }
            }
            else if (error == NbdError.None && request.Command == NbdCommand.Read)
            {
                bytes = (int)request.Length;
                await budget.AcquireAsync(bytes, cancellationToken).ConfigureAwait(false);
                data = ArrayPool<byte>.Shared.Rent(bytes);
            }

            if (error != NbdError.None)
            {
                Log.RequestRejected(_logger, Id, (ushort)request.Command, request.Offset, request.Length, (ushort)request.Flags, (uint)error);
                await budget.AcquireAsync(0, cancellationToken).ConfigureAwait(false);
                Enqueue(replies, budget, new Reply(request.Cookie, request.Command, error, null, 0, 0, 0));
                continue;
            }
            if (bytes == 0)
            {
                await budget.AcquireAsync(0, cancellationToken).ConfigureAwait(false);
            }

            var pending = ExecuteAsync(volume, request, data, cancellationToken);
            if (pending.IsCompleted)
            {
                Finish(replies, budget, request, data, bytes, pending.Result);
            }
            else
            {
                // Owned by the budget: the connection waits for it before closing.
                _ = FinishLaterAsync(replies, budget, request, data, bytes, pending);
            }
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
        var error = await pending.ConfigureAwait(false);
        Finish(replies, budget, request, data, bytes, error);
    }

    private static void Finish(ChannelWriter<Reply> replies, InFlightBudget budget, in NbdRequestHeader request, byte[]? data, int bytes, NbdError error)
    {
        if (request.Command == NbdCommand.Read && error == NbdError.None)
        {
            Enqueue(replies, budget, new Reply(request.Cookie, request.Command, error, data, bytes, request.Offset, bytes));
            return;
        }
        if (data is not null)
        {
            ArrayPool<byte>.Shared.Return(data);
        }
        Enqueue(replies, budget, new Reply(request.Cookie, request.Command, error, null, 0, request.Offset, bytes));
    }

    private static void Enqueue(ChannelWriter<Reply> replies, InFlightBudget budget, Reply reply)
    {
        if (!replies.TryWrite(reply))
        {
            Discard(budget, reply);
        }
    }

    private static void Discard(InFlightBudget budget, Reply reply)
    {
        if (reply.Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(reply.Buffer);
        }
        budget.Release(1, reply.BudgetBytes);
    }

    private async Task SendLoopAsync(PipeWriter writer, ChannelReader<Reply> replies, InFlightBudget budget, CancellationToken cancellationToken)
    {
        var count = 0;
        long bytes = 0;
        try
        {
            while (await replies.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var batch = 0;
                while (batch < MaxBatchBytes && replies.TryRead(out var reply))
                {
                    count++;
                    bytes += reply.BudgetBytes;
                    batch += reply.Length + 32;
                    WriteReply(writer, reply);
                }
                // Budget is released only once the bytes left the process: a client that stops
                // reading therefore stops its own receive loop, and nobody else's.
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                budget.Release(count, bytes);
                count = 0;
                bytes = 0;
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            budget.Release(count, bytes);
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already closing.
            }
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

    private void WriteReply(PipeWriter writer, in Reply reply)
    {
        if (reply.Error == NbdError.None)
        {
            if (reply.Command == NbdCommand.Read)
            {
                var data = reply.Buffer.AsSpan(0, reply.Length);
                if (_structured)
                {
                    var span = writer.GetSpan(NbdStructuredReplyHeader.Size + NbdStructuredReplyHeader.OffsetDataPrefix);
                    new NbdStructuredReplyHeader(true, NbdReplyType.OffsetData, reply.Cookie,
                        (uint)(NbdStructuredReplyHeader.OffsetDataPrefix + reply.Length)).Format(span);
                    BinaryPrimitives.WriteUInt64BigEndian(span[NbdStructuredReplyHeader.Size..], reply.Offset);
                    writer.Advance(NbdStructuredReplyHeader.Size + NbdStructuredReplyHeader.OffsetDataPrefix);
                }
                else
                {
                    var span = writer.GetSpan(NbdSimpleReplyHeader.Size);
                    new NbdSimpleReplyHeader(NbdError.None, reply.Cookie).Format(span);
                    writer.Advance(NbdSimpleReplyHeader.Size);
                }
                writer.Write(data);
                ArrayPool<byte>.Shared.Return(reply.Buffer!);
                return;
            }
            var simple = writer.GetSpan(NbdSimpleReplyHeader.Size);
            new NbdSimpleReplyHeader(NbdError.None, reply.Cookie).Format(simple);
            writer.Advance(NbdSimpleReplyHeader.Size);
            return;
        }

        if (_structured)
        {
            // Structured errors carry a message for the human at the client.
            var message = ErrorMessage(reply.Error);
            var payloadLength = NbdStructuredReplyHeader.ErrorPrefix + message.Length;
            var span = writer.GetSpan(NbdStructuredReplyHeader.Size + payloadLength);
            new NbdStructuredReplyHeader(true, NbdReplyType.Error, reply.Cookie, (uint)payloadLength).Format(span);
            BinaryPrimitives.WriteUInt32BigEndian(span[NbdStructuredReplyHeader.Size..], (uint)reply.Error);
            BinaryPrimitives.WriteUInt16BigEndian(span[(NbdStructuredReplyHeader.Size + 4)..], (ushort)message.Length);
            message.CopyTo(span[(NbdStructuredReplyHeader.Size + NbdStructuredReplyHeader.ErrorPrefix)..]);
            writer.Advance(NbdStructuredReplyHeader.Size + payloadLength);
            return;
        }
        var header = writer.GetSpan(NbdSimpleReplyHeader.Size);
        new NbdSimpleReplyHeader(reply.Error, reply.Cookie).Format(header);
        writer.Advance(NbdSimpleReplyHeader.Size);
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
