using System.Buffers.Binary;

namespace Tandem.Nbd.Protocol;

/// <summary>An option request header during negotiation; <see cref="Length"/> bytes of data follow.</summary>
/// <param name="Option">The option code (may be unknown).</param>
/// <param name="Length">The data length.</param>
public readonly record struct NbdOptionHeader(uint Option, uint Length)
{
    /// <summary>Wire size. Layout (big-endian): 0 u64 magic "IHAVEOPT" | 8 u32 option | 12 u32 length.</summary>
    public const int Size = 16;

    /// <summary>Parses a header.</summary>
    /// <param name="source">At least <see cref="Size"/> bytes.</param>
    /// <param name="header">The header, when the magic is right.</param>
    /// <returns>False when the source is short or the magic is wrong.</returns>
    public static bool TryParse(ReadOnlySpan<byte> source, out NbdOptionHeader header)
    {
        if (source.Length < Size || BinaryPrimitives.ReadUInt64BigEndian(source) != NbdConstants.OptionMagic)
        {
            header = default;
            return false;
        }
        header = new NbdOptionHeader(BinaryPrimitives.ReadUInt32BigEndian(source[8..]), BinaryPrimitives.ReadUInt32BigEndian(source[12..]));
        return true;
    }

    /// <summary>Writes the header (the client side).</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, NbdConstants.OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Option);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Length);
    }
}
