using System.Buffers.Binary;

namespace Tandem.Nbd.Protocol;

/// <summary>A structured reply chunk header; <see cref="Length"/> bytes of payload follow.</summary>
/// <param name="Done">This is the last chunk of the reply (flag bit 0).</param>
/// <param name="Type">The chunk type.</param>
/// <param name="Cookie">The request's cookie.</param>
/// <param name="Length">The payload length.</param>
public readonly record struct NbdStructuredReplyHeader(bool Done, NbdReplyType Type, ulong Cookie, uint Length)
{
    /// <summary>Wire size. Layout (big-endian): 0 u32 magic 0x668E33EF | 4 u16 flags (bit 0 DONE) |
    /// 6 u16 type | 8 u64 cookie | 16 u32 payload length.</summary>
    public const int Size = 20;

    /// <summary>Size of the OFFSET_DATA prefix (u64 offset) before the data.</summary>
    public const int OffsetDataPrefix = 8;

    /// <summary>Size of the ERROR payload without its message: u32 errno, u16 message length.</summary>
    public const int ErrorPrefix = 6;

    /// <summary>Writes the header.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, NbdConstants.StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Done ? (ushort)1 : (ushort)0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)Type);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Cookie);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Length);
    }
}
