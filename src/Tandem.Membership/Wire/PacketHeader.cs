using System.Buffers.Binary;

namespace Tandem.Membership.Wire;

/// <summary>
/// The fixed part of a membership packet. All integers are big-endian.
/// </summary>
/// <remarks>
/// <code>
/// offset size field
///  0     4    magic 0x54444D48 ("TDMH")
///  4     1    version (1)
///  5     1    type (PacketType)
///  6     1    key index (0-15, the authkeys index that signed the packet)
///  7     1    sender name length N (1-64)
///  8     8    cluster id (first 8 bytes of SHA-256 of the cluster name)
/// 16     8    generation of the sender (persisted, increases at every start)
/// 24     8    sequence number (per sender and generation, from 1)
/// 32     4    payload length P
/// 36     N    sender name, UTF-8
/// 36+N   P    payload
/// 36+N+P M    MAC over bytes 0 .. 36+N+P-1 (M from the key's method: crc 4, md5 16, sha1 20, sha256 32, sha512 64)
/// </code>
/// </remarks>
/// <param name="Type">What the packet carries.</param>
/// <param name="KeyIndex">The authkeys index of the signing key.</param>
/// <param name="NameLength">The byte length of the sender's name.</param>
/// <param name="ClusterId">The cluster id.</param>
/// <param name="Generation">The sender's generation.</param>
/// <param name="Sequence">The sender's sequence number.</param>
/// <param name="PayloadLength">The byte length of the payload.</param>
public readonly record struct PacketHeader(
    PacketType Type, byte KeyIndex, byte NameLength, ulong ClusterId, ulong Generation, ulong Sequence, uint PayloadLength)
{
    /// <summary>The size of the fixed header.</summary>
    public const int Size = 36;

    /// <summary>The magic that starts every packet.</summary>
    public const uint Magic = 0x54444D48;

    /// <summary>The format version this code writes and reads.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>The longest sender name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size);
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        destination[4] = CurrentVersion;
        destination[5] = (byte)Type;
        destination[6] = KeyIndex;
        destination[7] = NameLength;
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], ClusterId);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], Generation);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[32..], PayloadLength);
    }

    /// <summary>
    /// Reads the header, checking only what the header alone can tell (magic, version, type,
    /// name length); lengths against the packet are checked by the codec.
    /// </summary>
    /// <param name="source">The packet.</param>
    /// <param name="header">The header when accepted.</param>
    /// <returns><see cref="RejectReason.None"/>, or why the header is unusable.</returns>
    public static RejectReason TryRead(ReadOnlySpan<byte> source, out PacketHeader header)
    {
        header = default;
        if (source.Length < 4)
        {
            return RejectReason.Truncated;
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(source) != Magic)
        {
            return RejectReason.BadMagic;
        }
        if (source.Length < Size)
        {
            return RejectReason.Truncated;
        }
        if (source[4] != CurrentVersion)
        {
            return RejectReason.UnknownVersion;
        }
        var type = (PacketType)source[5];
        if (type is not (PacketType.Heartbeat or PacketType.Data or PacketType.Ack))
        {
            return RejectReason.UnknownType;
        }
        var nameLength = source[7];
        if (nameLength is 0 or > MaxNameLength)
        {
            return RejectReason.UnknownNode;
        }
        header = new PacketHeader(
            type,
            source[6],
            nameLength,
            BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[24..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[32..]));
        return RejectReason.None;
    }
}
