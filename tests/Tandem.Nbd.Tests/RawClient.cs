using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Tests;

/// <summary>A byte-level NBD client for hostile and exact tests; every receive has a deadline.</summary>
internal sealed class RawClient : IDisposable
{
    private readonly Socket _socket;

    public RawClient(string socketPath, int receiveTimeoutMs = 10_000)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        _socket.ReceiveTimeout = receiveTimeoutMs;
        _socket.SendTimeout = receiveTimeoutMs;
    }

    /// <summary>Connects over TCP.</summary>
    public RawClient(System.Net.IPEndPoint endPoint, int receiveTimeoutMs = 10_000)
    {
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _socket.Connect(endPoint);
        _socket.ReceiveTimeout = receiveTimeoutMs;
        _socket.SendTimeout = receiveTimeoutMs;
    }

    public Socket Socket => _socket;

    public void Dispose() => _socket.Dispose();

    public void Send(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[_socket.Send(bytes)..];
        }
    }

    public byte[] Receive(int count)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var n = _socket.Receive(buffer, got, count - got, SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException($"server closed after {got} of {count} bytes");
            }
            got += n;
        }
        return buffer;
    }

    /// <summary>True when the server closed the connection (within the receive timeout).</summary>
    public bool ServerClosed()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = _socket.Receive(buffer);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return false;
        }
    }

    /// <summary>Reads the greeting and sends client flags.</summary>
    public ushort Hello(uint clientFlags = NbdConstants.ClientFlagFixedNewstyle | NbdConstants.ClientFlagNoZeroes)
    {
        var greeting = Receive(18);
        Assert.Equal(NbdConstants.InitMagic, BinaryPrimitives.ReadUInt64BigEndian(greeting));
        Assert.Equal(NbdConstants.OptionMagic, BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)));
        var buffer = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, clientFlags);
        Send(buffer);
        return BinaryPrimitives.ReadUInt16BigEndian(greeting.AsSpan(16));
    }

    public void SendOption(uint option, ReadOnlySpan<byte> data, uint? lengthOverride = null)
    {
        var header = new byte[NbdOptionHeader.Size];
        new NbdOptionHeader(option, lengthOverride ?? (uint)data.Length).Format(header);
        Send(header);
        Send(data);
    }

    public (NbdOptionReply Reply, byte[] Data) ReceiveOptionReply(uint expectedOption)
    {
        var header = Receive(NbdOptionReplyHeader.Size);
        Assert.True(NbdOptionReplyHeader.TryParse(header, out var reply), "option reply magic");
        Assert.Equal(expectedOption, reply.Option);
        return (reply.Reply, Receive((int)reply.Length));
    }

    /// <summary>Negotiates with GO; returns size and transmission flags.</summary>
    public (ulong Size, NbdTransmissionFlags Flags) Go(string export = "", bool structured = false)
    {
        Hello();
        if (structured)
        {
            SendOption((uint)NbdOption.StructuredReply, []);
            Assert.Equal(NbdOptionReply.Ack, ReceiveOptionReply((uint)NbdOption.StructuredReply).Reply);
        }
        SendOption((uint)NbdOption.Go, new NbdInfoRequest(export, []).ToBytes());
        ulong size = 0;
        var flags = NbdTransmissionFlags.None;
        while (true)
        {
            var (reply, data) = ReceiveOptionReply((uint)NbdOption.Go);
            if (reply == NbdOptionReply.Ack)
            {
                return (size, flags);
            }
            Assert.Equal(NbdOptionReply.Info, reply);
            if (BinaryPrimitives.ReadUInt16BigEndian(data) == (ushort)NbdInfoType.Export)
            {
                size = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(2));
                flags = (NbdTransmissionFlags)BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(10));
            }
        }
    }

    public void SendRequest(NbdCommand command, ulong offset, uint length, ulong cookie, NbdCommandFlags flags = NbdCommandFlags.None, ReadOnlySpan<byte> payload = default)
    {
        var header = new byte[NbdRequestHeader.Size];
        new NbdRequestHeader(flags, command, cookie, offset, length).Format(header);
        Send(header);
        Send(payload);
    }

    /// <summary>Reads a simple reply; <paramref name="dataLength"/> bytes follow a successful read.</summary>
    public (NbdError Error, ulong Cookie, byte[] Data) ReceiveSimpleReply(int dataLength = 0)
    {
        var header = Receive(NbdSimpleReplyHeader.Size);
        Assert.Equal(NbdConstants.SimpleReplyMagic, BinaryPrimitives.ReadUInt32BigEndian(header));
        var error = (NbdError)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
        var cookie = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
        return (error, cookie, error == NbdError.None && dataLength > 0 ? Receive(dataLength) : []);
    }

    /// <summary>Reads one reply that may be simple or structured (one chunk).</summary>
    public (bool Structured, ushort Type, NbdError Error, ulong Cookie, byte[] Payload) ReceiveAnyReply(int simpleDataLength = 0)
    {
        var magic = Receive(4);
        var value = BinaryPrimitives.ReadUInt32BigEndian(magic);
        if (value == NbdConstants.SimpleReplyMagic)
        {
            var rest = Receive(12);
            var error = (NbdError)BinaryPrimitives.ReadUInt32BigEndian(rest);
            var cookie = BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(4));
            return (false, 0, error, cookie, error == NbdError.None && simpleDataLength > 0 ? Receive(simpleDataLength) : []);
        }
        Assert.Equal(NbdConstants.StructuredReplyMagic, value);
        var h = Receive(16);
        var type = BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(2));
        var c = BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(4));
        var payload = Receive((int)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12)));
        var err = type >= 0x8000 ? (NbdError)BinaryPrimitives.ReadUInt32BigEndian(payload) : NbdError.None;
        return (true, type, err, c, payload);
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
