using System.Buffers.Binary;
using System.Text;
using Tandem.Replication;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// The outdate-peer protocol of replicated volumes (DRBD's dopd done over the cluster channel): a
/// Primary that lost its replication peer asks the peer node to mark its copy Outdated, and the peer
/// answers with what it did. Shares the membership's cluster channel with the placement protocol,
/// told apart by the first byte.
/// </summary>
/// <remarks>
/// Big-endian.
/// <code>
/// u8  prefix (0xD0: this protocol; placement messages start with their version, 1)
/// u8  version (1)
/// u8  type (1 request, 2 reply)
/// u32 id (the request's, echoed by its reply)
/// u8  result (reply: a FencePeerResult code; 0 in a request)
/// u8  disk (reply: the replica's DiskState afterwards; 0 in a request)
/// u8 n, n bytes UTF-8 export name (r0, r0-1)
/// u16 n, n bytes UTF-8 detail (at most MaxDetailBytes)
/// </code>
/// </remarks>
/// <param name="IsReply">A reply (else a request).</param>
/// <param name="Id">The request id.</param>
/// <param name="Result">The reply's outcome.</param>
/// <param name="Disk">The replica's disk state after the request (reply).</param>
/// <param name="Volume">The export name of the volume.</param>
/// <param name="Detail">Why, in an operator's words.</param>
public sealed record OutdateMessage(bool IsReply, uint Id, FencePeerResult Result, DiskState Disk, string Volume, string Detail)
{
    /// <summary>The first byte of every message of this protocol on the cluster channel.</summary>
    public const byte Prefix = 0xD0;

    /// <summary>The protocol version this build speaks.</summary>
    public const byte Version = 1;

    /// <summary>The longest detail, in bytes; longer ones are cut when formatted.</summary>
    public const int MaxDetailBytes = 400;

    /// <summary>The fixed part before the name.</summary>
    public const int HeaderSize = 1 + 1 + 1 + 4 + 1 + 1;

    /// <summary>A request to outdate a volume.</summary>
    /// <param name="id">The request id.</param>
    /// <param name="volume">The export name.</param>
    /// <param name="detail">Why.</param>
    /// <returns>The message.</returns>
    public static OutdateMessage Request(uint id, string volume, string detail) => new(false, id, 0, 0, volume, detail);

    /// <summary>Encodes the message.</summary>
    /// <returns>The bytes.</returns>
    /// <exception cref="ArgumentException">A volume name of 0 or more than 255 bytes.</exception>
    public byte[] Format()
    {
        var name = Encoding.UTF8.GetBytes(Volume);
        if (name.Length is 0 or > 255)
        {
            throw new ArgumentException($"a volume name must be 1 to 255 bytes of UTF-8, not {name.Length}");
        }
        var detail = Encoding.UTF8.GetBytes(Detail);
        if (detail.Length > MaxDetailBytes)
        {
            var length = Detail.Length;
            while (Encoding.UTF8.GetByteCount(Detail.AsSpan(0, length)) > MaxDetailBytes)
            {
                length--;
            }
            if (length > 0 && char.IsHighSurrogate(Detail[length - 1]))
            {
                length--;
            }
            detail = Encoding.UTF8.GetBytes(Detail[..length]);
        }
        var buffer = new byte[HeaderSize + 1 + name.Length + 2 + detail.Length];
        var span = buffer.AsSpan();
        span[0] = Prefix;
        span[1] = Version;
        span[2] = IsReply ? (byte)2 : (byte)1;
        BinaryPrimitives.WriteUInt32BigEndian(span[3..], Id);
        span[7] = (byte)Result;
        span[8] = (byte)Disk;
        span[HeaderSize] = (byte)name.Length;
        name.CopyTo(span[(HeaderSize + 1)..]);
        var at = HeaderSize + 1 + name.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)detail.Length);
        detail.CopyTo(span[(at + 2)..]);
        return buffer;
    }

    /// <summary>Decodes a message, checking every length and code before it is used.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The message.</returns>
    /// <exception cref="FormatException">Not this protocol, another version, an unknown type or code, a bad length, or invalid UTF-8.</exception>
    public static OutdateMessage Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2 || data[0] != Prefix)
        {
            throw new FormatException("not an outdate message");
        }
        if (data[1] != Version)
        {
            throw new FormatException($"outdate protocol version {data[1]} is not spoken here (this node speaks {Version}); upgrade both nodes to the same release");
        }
        if (data.Length < HeaderSize + 1 + 2)
        {
            throw new FormatException($"an outdate message of {data.Length} bytes is shorter than its header");
        }
        if (data[2] is not (1 or 2))
        {
            throw new FormatException($"unknown outdate message type {data[2]}");
        }
        var isReply = data[2] == 2;
        var id = BinaryPrimitives.ReadUInt32BigEndian(data[3..]);
        var result = (FencePeerResult)data[7];
        var disk = (DiskState)data[8];
        if (isReply ? !Enum.IsDefined(result) || !Enum.IsDefined(disk) : data[7] != 0 || data[8] != 0)
        {
            throw new FormatException($"an outdate {(isReply ? "reply" : "request")} with result {data[7]} and disk state {data[8]}");
        }
        int n = data[HeaderSize];
        var at = HeaderSize + 1;
        if (n == 0 || at + n + 2 > data.Length)
        {
            throw new FormatException("an outdate message's volume name runs past its end");
        }
        var strict = new UTF8Encoding(false, true);
        try
        {
            var volume = strict.GetString(data.Slice(at, n));
            at += n;
            int detailLength = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
            at += 2;
            if (detailLength > MaxDetailBytes || at + detailLength != data.Length)
            {
                throw new FormatException($"an outdate message's detail length {detailLength} does not match its size");
            }
            return new OutdateMessage(isReply, id, isReply ? result : 0, isReply ? disk : 0, volume, strict.GetString(data.Slice(at, detailLength)));
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"an outdate message holds invalid UTF-8: {e.Message}", e);
        }
    }
}
