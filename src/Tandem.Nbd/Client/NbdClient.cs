using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Client;

/// <summary>
/// A minimal NBD client: fixed newstyle, NBD_OPT_GO, simple replies, one request at a time. It is
/// what <c>tandem demo</c>'s record writer and checker use to reach a volume without root and
/// without tools from outside, and what tests use where real clients cannot show the exact error
/// of a request; real workloads use the kernel client or libnbd.
/// </summary>
public sealed class NbdClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _header = new byte[NbdRequestHeader.Size];
    private readonly byte[] _reply = new byte[NbdSimpleReplyHeader.Size];
    private ulong _cookie;

    private NbdClient(Socket socket, ulong size, NbdTransmissionFlags flags)
    {
        _socket = socket;
        Size = size;
        Flags = flags;
    }

    /// <summary>The export's size in bytes.</summary>
    public ulong Size { get; }

    /// <summary>The transmission flags the server announced.</summary>
    public NbdTransmissionFlags Flags { get; }

    /// <summary>Whether the server refuses writes.</summary>
    public bool ReadOnly => (Flags & NbdTransmissionFlags.ReadOnly) != 0;

    /// <summary>Connects to an export on a Unix socket and negotiates it.</summary>
    /// <param name="socketPath">The export's Unix socket.</param>
    /// <param name="export">The export name ("" for the default).</param>
    /// <param name="cancellationToken">Cancels connecting and negotiating.</param>
    /// <returns>A client in the transmission phase.</returns>
    /// <exception cref="NbdProtocolException">The server refused the export or broke the protocol.</exception>
    public static Task<NbdClient> ConnectAsync(string socketPath, string export, CancellationToken cancellationToken) =>
        ConnectAsync(new UnixDomainSocketEndPoint(socketPath), export, cancellationToken);

    /// <summary>Connects to an export and negotiates it.</summary>
    /// <param name="endPoint">A Unix socket or TCP endpoint.</param>
    /// <param name="export">The export name ("" for the default).</param>
    /// <param name="cancellationToken">Cancels connecting and negotiating.</param>
    /// <returns>A client in the transmission phase.</returns>
    /// <exception cref="NbdProtocolException">The server refused the export or broke the protocol.</exception>
    public static async Task<NbdClient> ConnectAsync(EndPoint endPoint, string export, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(export);
        var protocol = endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, protocol);
        try
        {
            if (protocol == ProtocolType.Tcp)
            {
                socket.NoDelay = true;
            }
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            var (size, flags) = await NegotiateAsync(socket, export, cancellationToken).ConfigureAwait(false);
            return new NbdClient(socket, size, flags);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>.</summary>
    /// <param name="offset">Byte offset in the export.</param>
    /// <param name="buffer">Where the data goes.</param>
    /// <param name="cancellationToken">Cancels the request (the connection is then unusable).</param>
    /// <returns>The server's error, <see cref="NbdError.None"/> on success.</returns>
    public async Task<NbdError> ReadAsync(ulong offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var error = await RequestAsync(NbdCommand.Read, NbdCommandFlags.None, offset, buffer.Length, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        if (error == NbdError.None)
        {
            await ReceiveExactlyAsync(_socket, buffer, cancellationToken).ConfigureAwait(false);
        }
        return error;
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    /// <param name="offset">Byte offset in the export.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="forceUnitAccess">Ask for the write to be on stable storage when acknowledged (NBD_CMD_FLAG_FUA).</param>
    /// <param name="cancellationToken">Cancels the request (the connection is then unusable).</param>
    /// <returns>The server's error, <see cref="NbdError.None"/> when the write is acknowledged.</returns>
    public Task<NbdError> WriteAsync(ulong offset, ReadOnlyMemory<byte> data, bool forceUnitAccess, CancellationToken cancellationToken) =>
        RequestAsync(NbdCommand.Write, forceUnitAccess ? NbdCommandFlags.Fua : NbdCommandFlags.None, offset, data.Length, data, cancellationToken);

    /// <summary>Asks the server to make every acknowledged write durable.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The server's error.</returns>
    public Task<NbdError> FlushAsync(CancellationToken cancellationToken) =>
        RequestAsync(NbdCommand.Flush, NbdCommandFlags.None, 0, 0, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>Sends NBD_CMD_DISC (best effort) and closes the connection.</summary>
    /// <returns>A task that completes when closed.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            new NbdRequestHeader(NbdCommandFlags.None, NbdCommand.Disconnect, ++_cookie, 0, 0).Format(_header);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _socket.SendAsync(_header, SocketFlags.None, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server is gone: nothing to say goodbye to.
        }
        _socket.Dispose();
    }

    private async Task<NbdError> RequestAsync(NbdCommand command, NbdCommandFlags flags, ulong offset, int length,
        ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var cookie = ++_cookie;
        new NbdRequestHeader(flags, command, cookie, offset, (uint)length).Format(_header);
        await _socket.SendAsync(_header, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        while (!payload.IsEmpty)
        {
            var sent = await _socket.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            payload = payload[sent..];
        }
        await ReceiveExactlyAsync(_socket, _reply, cancellationToken).ConfigureAwait(false);
        if (BinaryPrimitives.ReadUInt32BigEndian(_reply) != NbdConstants.SimpleReplyMagic)
        {
            throw new NbdProtocolException("reply without the simple reply magic");
        }
        if (BinaryPrimitives.ReadUInt64BigEndian(_reply.AsSpan(8)) != cookie)
        {
            throw new NbdProtocolException("reply to a request that was not sent");
        }
        return (NbdError)BinaryPrimitives.ReadUInt32BigEndian(_reply.AsSpan(4));
    }

    private static async Task<(ulong Size, NbdTransmissionFlags Flags)> NegotiateAsync(Socket socket, string export, CancellationToken cancellationToken)
    {
        var greeting = new byte[18];
        await ReceiveExactlyAsync(socket, greeting, cancellationToken).ConfigureAwait(false);
        if (BinaryPrimitives.ReadUInt64BigEndian(greeting) != NbdConstants.InitMagic
            || BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)) != NbdConstants.OptionMagic
            || (BinaryPrimitives.ReadUInt16BigEndian(greeting.AsSpan(16)) & NbdConstants.FlagFixedNewstyle) == 0)
        {
            throw new NbdProtocolException("the server does not speak fixed newstyle NBD");
        }
        var clientFlags = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(clientFlags, NbdConstants.ClientFlagFixedNewstyle | NbdConstants.ClientFlagNoZeroes);
        await socket.SendAsync(clientFlags, SocketFlags.None, cancellationToken).ConfigureAwait(false);

        var request = new NbdInfoRequest(export, []).ToBytes();
        var option = new byte[NbdOptionHeader.Size];
        new NbdOptionHeader((uint)NbdOption.Go, (uint)request.Length).Format(option);
        await socket.SendAsync(option, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);

        ulong size = 0;
        var flags = NbdTransmissionFlags.None;
        var header = new byte[NbdOptionReplyHeader.Size];
        while (true)
        {
            await ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false);
            if (!NbdOptionReplyHeader.TryParse(header, out var reply) || reply.Option != (uint)NbdOption.Go)
            {
                throw new NbdProtocolException("malformed reply to NBD_OPT_GO");
            }
            if (reply.Length > NbdConstants.MaxStringLength + 64)
            {
                throw new NbdProtocolException($"option reply of {reply.Length} bytes is too long");
            }
            var data = new byte[reply.Length];
            await ReceiveExactlyAsync(socket, data, cancellationToken).ConfigureAwait(false);
            switch (reply.Reply)
            {
                case NbdOptionReply.Ack:
                    return (size, flags);
                case NbdOptionReply.Info when data.Length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(data) == (ushort)NbdInfoType.Export:
                    size = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(2));
                    flags = (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(10));
                    break;
                case NbdOptionReply.Info:
                    break;
                default:
                    var message = data.Length > 0 ? System.Text.Encoding.UTF8.GetString(data) : reply.Reply.ToString();
                    throw new NbdProtocolException($"the server refused export '{export}': {message}");
            }
        }
    }

    private static async ValueTask ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("the NBD server closed the connection");
            }
            buffer = buffer[n..];
        }
    }
}
