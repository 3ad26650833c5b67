using System.Buffers.Binary;

namespace Tandem.Nbd.Protocol;

/// <summary>A simple reply; a successful READ's data follows it.</summary>
/// <param name="Error">0 or an errno.</param>
/// <param name="Cookie">The request's cookie.</param>
public readonly record struct NbdSimpleReplyHeader(NbdError Error, ulong Cookie)
{
    /// <summary>Wire size. Layout (big-endian): 0 u32 magic 0x67446698 | 4 u32 error | 8 u64 cookie.</summary>
    public const int Size = 16;

    /// <summary>Writes the header.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, NbdConstants.SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (uint)Error);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Cookie);
    }
}
