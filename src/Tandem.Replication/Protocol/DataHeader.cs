using System.Buffers.Binary;

namespace Tandem.Replication.Protocol;

/// <summary>
/// The head of a <see cref="FrameType.Data"/> payload (DRBD's p_data). Layout (big-endian),
/// 24 bytes: offset u64, request id u64 (echoed in acks), epoch u32, flags u32.
/// </summary>
internal readonly record struct DataHeader(long Offset, ulong Id, uint Epoch, DataFlags Flags)
{
    public const int Size = 24;

    public void Format(Span<byte> d)
    {
        BinaryPrimitives.WriteInt64BigEndian(d, Offset);
        BinaryPrimitives.WriteUInt64BigEndian(d[8..], Id);
        BinaryPrimitives.WriteUInt32BigEndian(d[16..], Epoch);
        BinaryPrimitives.WriteUInt32BigEndian(d[20..], (uint)Flags);
    }

    public static bool TryParse(ReadOnlySpan<byte> s, out DataHeader h)
    {
        h = default;
        if (s.Length < Size)
        {
            return false;
        }
        var offset = BinaryPrimitives.ReadInt64BigEndian(s);
        if (offset < 0)
        {
            return false;
        }
        h = new DataHeader(offset, BinaryPrimitives.ReadUInt64BigEndian(s[8..]), BinaryPrimitives.ReadUInt32BigEndian(s[16..]),
            (DataFlags)BinaryPrimitives.ReadUInt32BigEndian(s[20..]));
        return true;
    }
}

/// <summary>Flags of a replicated write (DRBD's dp_flags).</summary>
[Flags]
internal enum DataFlags : uint
{
    None = 0,
    Fua = 16,
    Flush = 32,
    Zeroes = 1024,
    SendReceiveAck = 128,
    SendWriteAck = 256,
}
