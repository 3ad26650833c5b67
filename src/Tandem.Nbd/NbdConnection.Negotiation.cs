using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Tandem.Core.Volumes;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd;

internal sealed partial class NbdConnection
{
    private const int ExportNameZeroPadding = 124;

    /// <summary>Fixed newstyle negotiation.</summary>
    /// <returns>True when the client entered transmission; false when it aborted.</returns>
    private async ValueTask<bool> NegotiateAsync(CancellationToken cancellationToken)
    {
        var reader = _reader!;
        var writer = _writer!;
        var greeting = writer.GetSpan(18);
        BinaryPrimitives.WriteUInt64BigEndian(greeting, NbdConstants.InitMagic);
        BinaryPrimitives.WriteUInt64BigEndian(greeting[8..], NbdConstants.OptionMagic);
        BinaryPrimitives.WriteUInt16BigEndian(greeting[16..], NbdConstants.FlagFixedNewstyle | NbdConstants.FlagNoZeroes);
        writer.Advance(18);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);

        var small = new byte[NbdOptionHeader.Size];
        await ReadExactAsync(reader, small.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
        var clientFlags = BinaryPrimitives.ReadUInt32BigEndian(small);
        if ((clientFlags & ~(NbdConstants.ClientFlagFixedNewstyle | NbdConstants.ClientFlagNoZeroes)) != 0)
        {
            throw new NbdProtocolException($"unknown client flags 0x{clientFlags:x}");
        }
        var noZeroes = (clientFlags & NbdConstants.ClientFlagNoZeroes) != 0;

        while (true)
        {
            // After STARTTLS the pipes are the TLS stream's.
            reader = _reader!;
            writer = _writer!;
            await ReadExactAsync(reader, small, cancellationToken).ConfigureAwait(false);
            if (!NbdOptionHeader.TryParse(small, out var header))
            {
                throw new NbdProtocolException("option without the IHAVEOPT magic");
            }
            if (header.Length > (uint)_options.MaxOptionLength)
            {
                if (header.Option == (uint)NbdOption.ExportName)
                {
                    throw new NbdProtocolException("EXPORT_NAME longer than any export name");
                }
                await SkipAsync(reader, header.Length, cancellationToken).ConfigureAwait(false);
                await ReplyAsync(writer, header.Option, NbdOptionReply.ErrTooBig, "option data too large", cancellationToken).ConfigureAwait(false);
                continue;
            }
            var data = ArrayPool<byte>.Shared.Rent((int)header.Length);
            try
            {
                var length = (int)header.Length;
                await ReadExactAsync(reader, data.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                var outcome = await HandleOptionAsync(writer, header.Option, data.AsMemory(0, length), noZeroes, cancellationToken).ConfigureAwait(false);
                if (outcome is not null)
                {
                    return outcome.Value;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(data);
            }
        }
    }

    /// <returns>Null to keep negotiating, true to enter transmission, false to end.</returns>
    private async ValueTask<bool?> HandleOptionAsync(PipeWriter writer, uint option, ReadOnlyMemory<byte> data, bool noZeroes, CancellationToken cancellationToken)
    {
        if (TlsRequired && _tls is null)
        {
            // FORCEDTLS (NBD protocol, "TLS support"): before STARTTLS only STARTTLS and ABORT are
            // served; everything else, INFO and GO included, gets NBD_REP_ERR_TLS_REQD, and
            // EXPORT_NAME, which cannot be answered with an error, ends the connection.
            switch ((NbdOption)option)
            {
                case NbdOption.StartTls:
                case NbdOption.Abort:
                    break;
                case NbdOption.ExportName:
                    _server.CountersFor(IsTcp).CountTlsRequired();
                    throw new NbdProtocolException("EXPORT_NAME without TLS on a listener that requires TLS");
                default:
                    _server.CountersFor(IsTcp).CountTlsRequired();
                    await ReplyAsync(writer, option, NbdOptionReply.ErrTlsReqd, "TLS is required on this listener: send NBD_OPT_STARTTLS first", cancellationToken).ConfigureAwait(false);
                    return null;
            }
        }
        switch ((NbdOption)option)
        {
            case NbdOption.StartTls:
                await StartTlsAsync(writer, option, data, cancellationToken).ConfigureAwait(false);
                return null;
            case NbdOption.ExportName:
            {
                // EXPORT_NAME has no error reply: an unknown name can only be answered by hanging up.
                if (!NbdInfoRequest.TryDecodeName(data.Span, out var name) || _server.FindExport(name) is not { } export)
                {
                    throw new NbdProtocolException("EXPORT_NAME for an unknown export");
                }
                _export = export;
                var span = writer.GetSpan(10 + ExportNameZeroPadding);
                BinaryPrimitives.WriteUInt64BigEndian(span, (ulong)export.Volume.Size);
                BinaryPrimitives.WriteUInt16BigEndian(span[8..], (ushort)TransmissionFlags(export));
                var written = 10;
                if (!noZeroes)
                {
                    span.Slice(10, ExportNameZeroPadding).Clear();
                    written += ExportNameZeroPadding;
                }
                writer.Advance(written);
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            case NbdOption.Abort:
                await ReplyAsync(writer, option, NbdOptionReply.Ack, null, cancellationToken).ConfigureAwait(false);
                return false;
            case NbdOption.List:
                if (!data.IsEmpty)
                {
                    await ReplyAsync(writer, option, NbdOptionReply.ErrInvalid, "LIST takes no data", cancellationToken).ConfigureAwait(false);
                    return null;
                }
                foreach (var export in _server.Exports)
                {
                    var name = Encoding.UTF8.GetBytes(export.Name);
                    var description = Encoding.UTF8.GetBytes(export.Description ?? "");
                    var payload = new byte[4 + name.Length + description.Length];
                    BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)name.Length);
                    name.CopyTo(payload.AsSpan(4));
                    description.CopyTo(payload.AsSpan(4 + name.Length));
                    WriteReply(writer, option, NbdOptionReply.Server, payload);
                }
                await ReplyAsync(writer, option, NbdOptionReply.Ack, null, cancellationToken).ConfigureAwait(false);
                return null;
            case NbdOption.StructuredReply:
                if (!data.IsEmpty)
                {
                    await ReplyAsync(writer, option, NbdOptionReply.ErrInvalid, "STRUCTURED_REPLY takes no data", cancellationToken).ConfigureAwait(false);
                    return null;
                }
                _structured = true;
                await ReplyAsync(writer, option, NbdOptionReply.Ack, null, cancellationToken).ConfigureAwait(false);
                return null;
            case NbdOption.Info:
            case NbdOption.Go:
            {
                if (!NbdInfoRequest.TryParse(data.Span, out var request))
                {
                    await ReplyAsync(writer, option, NbdOptionReply.ErrInvalid, "malformed INFO/GO request", cancellationToken).ConfigureAwait(false);
                    return null;
                }
                if (_server.FindExport(request!.ExportName) is not { } export)
                {
                    await ReplyAsync(writer, option, NbdOptionReply.ErrUnknown, "no such export", cancellationToken).ConfigureAwait(false);
                    return null;
                }
                WriteInfoReplies(writer, option, export, request);
                await ReplyAsync(writer, option, NbdOptionReply.Ack, null, cancellationToken).ConfigureAwait(false);
                if ((NbdOption)option == NbdOption.Go)
                {
                    _export = export;
                    return true;
                }
                return null;
            }
            default:
                await ReplyAsync(writer, option, NbdOptionReply.ErrUnsup, "option not supported", cancellationToken).ConfigureAwait(false);
                return null;
        }
    }

    /// <summary>Whether this connection must start TLS before anything else (a TCP listener with TLS).</summary>
    private bool TlsRequired => IsTcp && _server.Tls is not null;

    /// <summary>NBD_OPT_STARTTLS: acknowledge, run the TLS handshake, and go on negotiating inside TLS.</summary>
    private async ValueTask StartTlsAsync(PipeWriter writer, uint option, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (!TlsRequired)
        {
            await ReplyAsync(writer, option, NbdOptionReply.ErrUnsup,
                IsTcp ? "TLS is not configured on this listener" : "the Unix socket has no TLS: its file permissions are its access control",
                cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_tls is not null)
        {
            await ReplyAsync(writer, option, NbdOptionReply.ErrInvalid, "TLS is already on", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!data.IsEmpty)
        {
            await ReplyAsync(writer, option, NbdOptionReply.ErrInvalid, "STARTTLS takes no data", cancellationToken).ConfigureAwait(false);
            return;
        }
        await ReplyAsync(writer, option, NbdOptionReply.Ack, null, cancellationToken).ConfigureAwait(false);
        // A client waits for the ACK before its ClientHello. Plain bytes already buffered behind the
        // STARTTLS would be read as if they came inside TLS (the STARTTLS injection of
        // CVE-2021-3716 and friends): they end the connection instead.
        if (_reader!.TryRead(out var pending))
        {
            var early = pending.Buffer.Length;
            _reader.AdvanceTo(pending.Buffer.Start);
            if (early > 0)
            {
                throw new NbdProtocolException($"{early} bytes sent after STARTTLS before the TLS handshake");
            }
        }
        await CompletePipesAsync().ConfigureAwait(false);
        _tls = await _server.Tls!.AuthenticateAsync(_stream!, cancellationToken).ConfigureAwait(false);
        UsePipes(_tls);
        Log.TlsStarted(_logger, Id, _tls.SslProtocol.ToString(), _tls.RemoteCertificate?.Subject ?? "no client certificate");
    }

    private void WriteInfoReplies(PipeWriter writer, uint option, NbdExport export, NbdInfoRequest request)
    {
        // NBD_INFO_EXPORT: u16 type | u64 size | u16 transmission flags.
        var info = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)NbdInfoType.Export);
        BinaryPrimitives.WriteUInt64BigEndian(info.AsSpan(2), (ulong)export.Volume.Size);
        BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), (ushort)TransmissionFlags(export));
        WriteReply(writer, option, NbdOptionReply.Info, info);

        // Block sizes are sent unasked (the protocol allows it): clients then know the limits.
        // NBD_INFO_BLOCK_SIZE: u16 type | u32 minimum | u32 preferred | u32 maximum payload.
        var volume = export.Volume;
        var minimum = Math.Max(1, volume.MinimumBlockSize);
        var blockSize = new byte[14];
        BinaryPrimitives.WriteUInt16BigEndian(blockSize, (ushort)NbdInfoType.BlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(blockSize.AsSpan(2), (uint)minimum);
        BinaryPrimitives.WriteUInt32BigEndian(blockSize.AsSpan(6), (uint)Math.Max(minimum, volume.PreferredBlockSize));
        BinaryPrimitives.WriteUInt32BigEndian(blockSize.AsSpan(10), NbdConstants.MaxPayload);
        WriteReply(writer, option, NbdOptionReply.Info, blockSize);

        foreach (var type in request.Requests)
        {
            string? text = (NbdInfoType)type switch
            {
                NbdInfoType.Name => export.Name,
                NbdInfoType.Description => export.Description,
                _ => null,
            };
            if (text is null)
            {
                continue;
            }
            var bytes = Encoding.UTF8.GetBytes(text);
            var payload = new byte[2 + Math.Min(bytes.Length, NbdConstants.MaxStringLength)];
            BinaryPrimitives.WriteUInt16BigEndian(payload, type);
            bytes.AsSpan(0, payload.Length - 2).CopyTo(payload.AsSpan(2));
            WriteReply(writer, option, NbdOptionReply.Info, payload);
        }
    }

    private NbdTransmissionFlags TransmissionFlags(NbdExport export)
    {
        var features = export.Volume.Features;
        var flags = NbdTransmissionFlags.HasFlags | NbdTransmissionFlags.SendFlush | NbdTransmissionFlags.SendFua
            | NbdTransmissionFlags.SendCache;
        if ((features & VolumeFeatures.ReadOnly) != 0)
        {
            flags |= NbdTransmissionFlags.ReadOnly;
        }
        if ((features & VolumeFeatures.Trim) != 0)
        {
            flags |= NbdTransmissionFlags.SendTrim;
        }
        if ((features & VolumeFeatures.WriteZeroes) != 0)
        {
            flags |= NbdTransmissionFlags.SendWriteZeroes;
            if ((features & VolumeFeatures.FastZero) != 0)
            {
                flags |= NbdTransmissionFlags.SendFastZero;
            }
        }
        if ((features & VolumeFeatures.FlushCoversAllConnections) != 0)
        {
            flags |= NbdTransmissionFlags.CanMultiConn;
        }
        if (_structured)
        {
            flags |= NbdTransmissionFlags.SendDf;
        }
        return flags;
    }

    private static void WriteReply(PipeWriter writer, uint option, NbdOptionReply reply, ReadOnlySpan<byte> payload)
    {
        var span = writer.GetSpan(NbdOptionReplyHeader.Size + payload.Length);
        new NbdOptionReplyHeader(option, reply, (uint)payload.Length).Format(span);
        payload.CopyTo(span[NbdOptionReplyHeader.Size..]);
        writer.Advance(NbdOptionReplyHeader.Size + payload.Length);
    }

    private static async ValueTask ReplyAsync(PipeWriter writer, uint option, NbdOptionReply reply, string? message, CancellationToken cancellationToken)
    {
        WriteReply(writer, option, reply, message is null ? default : Encoding.UTF8.GetBytes(message));
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
