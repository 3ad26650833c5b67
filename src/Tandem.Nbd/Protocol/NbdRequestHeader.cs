using System.Buffers.Binary;

namespace Tandem.Nbd.Protocol;

/// <summary>A transmission request header; a WRITE's payload follows it.</summary>
/// <param name="Flags">Command flags.</param>
/// <param name="Command">The command.</param>
/// <param name="Cookie">Opaque; echoed in the reply.</param>
/// <param name="Offset">Byte offset.</param>
/// <param name="Length">Byte count.</param>
public readonly record struct NbdRequestHeader(NbdCommandFlags Flags, NbdCommand Command, ulong Cookie, ulong Offset, uint Length)
{
    /// <summary>
    /// Wire size. Layout (big-endian): 0 u32 magic 0x25609513 | 4 u16 flags | 6 u16 type |
    /// 8 u64 cookie | 16 u64 offset | 24 u32 length.
    /// </summary>
    public const int Size = 28;

    /// <summary>Parses a header.</summary>
    /// <param name="source">At least <see cref="Size"/> bytes.</param>
    /// <param name="header">The header, when the magic is right.</param>
    /// <returns>False when the source is short or the magic is wrong (the client must be dropped).</returns>
    public static bool TryParse(ReadOnlySpan<byte> source, out NbdRequestHeader header)
    {
        if (source.Length < Size || BinaryPrimitives.ReadUInt32BigEndian(source) != NbdConstants.RequestMagic)
        {
            header = default;
            return false;
        }
        header = new NbdRequestHeader(
            (NbdCommandFlags)BinaryPrimitives.ReadUInt16BigEndian(source[4..]),
            (NbdCommand)BinaryPrimitives.ReadUInt16BigEndian(source[6..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[24..]));
        return true;
    }

    /// <summary>Writes the header (the client side; used by tests and tools).</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, NbdConstants.RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)Flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)Command);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Cookie);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], Offset);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], Length);
    }
}
