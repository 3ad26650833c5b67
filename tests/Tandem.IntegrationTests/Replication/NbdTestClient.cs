using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Tandem.IntegrationTests.Replication;

/// <summary>
/// A minimal NBD client (fixed newstyle, NBD_OPT_EXPORT_NAME, simple replies) over a Unix socket,
/// for what the real clients cannot show: the exact error of a refused write (qemu-io refuses to
/// open a read-only export for writing at all), and which writes were acknowledged before a power
/// cut. One request at a time.
/// </summary>
internal sealed class NbdTestClient : IAsyncDisposable
{
    public const uint EPERM = 1;
    private const ushort FlagFua = 1;
    private const ushort TransmissionReadOnly = 1 << 1;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private ulong _handle;

    private NbdTestClient(Socket socket, long size, ushort flags)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Size = size;
        TransmissionFlags = flags;
    }

    public long Size { get; }

    public ushort TransmissionFlags { get; }

    public bool ReadOnly => (TransmissionFlags & TransmissionReadOnly) != 0;

    public static async Task<NbdTestClient> ConnectAsync(string socketPath, string export, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            var stream = new NetworkStream(socket, ownsSocket: false);
            var greeting = new byte[18];
            await stream.ReadExactlyAsync(greeting, cancellationToken);
            if (Encoding.ASCII.GetString(greeting, 0, 16) != "NBDMAGICIHAVEOPT")
            {
                throw new IOException("not an NBD fixed-newstyle server");
            }
            // Client flags: fixed newstyle, no zeroes; then NBD_OPT_EXPORT_NAME with the name.
            var name = Encoding.UTF8.GetBytes(export);
            var hello = new byte[4 + 16 + name.Length];
            BinaryPrimitives.WriteUInt32BigEndian(hello, 3);
            BinaryPrimitives.WriteUInt64BigEndian(hello.AsSpan(4), 0x49484156454F5054);
            BinaryPrimitives.WriteUInt32BigEndian(hello.AsSpan(12), 1);
            BinaryPrimitives.WriteUInt32BigEndian(hello.AsSpan(16), (uint)name.Length);
            name.CopyTo(hello, 20);
            await stream.WriteAsync(hello, cancellationToken);
            var answer = new byte[10];
            await stream.ReadExactlyAsync(answer, cancellationToken);
            return new NbdTestClient(socket, BinaryPrimitives.ReadInt64BigEndian(answer), BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(8)));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes; returns the NBD error (0 when the server acknowledged the write).</summary>
    public async Task<uint> WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua, CancellationToken cancellationToken)
    {
        await SendAsync(1, fua ? FlagFua : (ushort)0, offset, data.Length, data, cancellationToken);
        return await ReplyAsync(null, cancellationToken);
    }

    /// <summary>Reads; returns the NBD error.</summary>
    public async Task<uint> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        await SendAsync(0, 0, offset, buffer.Length, default, cancellationToken);
        return await ReplyAsync(buffer, cancellationToken);
    }

    public async Task<uint> FlushAsync(CancellationToken cancellationToken)
    {
        await SendAsync(3, 0, 0, 0, default, cancellationToken);
        return await ReplyAsync(null, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendAsync(2, 0, 0, 0, default, cts.Token); // NBD_CMD_DISC
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server is gone (killed): nothing to say goodbye to.
        }
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private async Task SendAsync(ushort type, ushort flags, long offset, int length, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var header = new byte[28];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x25609513);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), ++_handle);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(16), (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(24), (uint)length);
        await _stream.WriteAsync(header, cancellationToken);
        if (!data.IsEmpty)
        {
            await _stream.WriteAsync(data, cancellationToken);
        }
    }

    private async Task<uint> ReplyAsync(Memory<byte>? buffer, CancellationToken cancellationToken)
    {
        var reply = new byte[16];
        await _stream.ReadExactlyAsync(reply, cancellationToken);
        if (BinaryPrimitives.ReadUInt32BigEndian(reply) != 0x67446698 || BinaryPrimitives.ReadUInt64BigEndian(reply.AsSpan(8)) != _handle)
        {
            throw new IOException("unexpected NBD reply");
        }
        var error = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(4));
        if (error == 0 && buffer is { } b)
        {
            await _stream.ReadExactlyAsync(b, cancellationToken);
        }
        return error;
    }
}
