using System.Buffers.Binary;

namespace Tandem.Nbd.Protocol;

/// <summary>An option reply header; <see cref="Length"/> bytes of data follow.</summary>
/// <param name="Option">The option being answered.</param>
/// <param name="Reply">The reply type.</param>
/// <param name="Length">The data length.</param>
public readonly record struct NbdOptionReplyHeader(uint Option, NbdOptionReply Reply, uint Length)
{
    /// <summary>Wire size. Layout (big-endian): 0 u64 magic 0x0003E889045565A9 | 8 u32 option | 12 u32 reply type | 16 u32 length.</summary>
    public const int Size = 20;

    /// <summary>Writes the header.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, NbdConstants.OptionReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Option);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], (uint)Reply);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Length);
    }

    /// <summary>Parses a header (the client side; tests).</summary>
    /// <param name="source">At least <see cref="Size"/> bytes.</param>
    /// <param name="header">The header.</param>
    /// <returns>False when short or the magic is wrong.</returns>
    public static bool TryParse(ReadOnlySpan<byte> source, out NbdOptionReplyHeader header)
    {
        if (source.Length < Size || BinaryPrimitives.ReadUInt64BigEndian(source) != NbdConstants.OptionReplyMagic)
        {
            header = default;
            return false;
        }
        header = new NbdOptionReplyHeader(BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
            (NbdOptionReply)BinaryPrimitives.ReadUInt32BigEndian(source[12..]), BinaryPrimitives.ReadUInt32BigEndian(source[16..]));
        return true;
    }
}
