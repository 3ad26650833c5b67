using System.Buffers.Binary;
using Tandem.Replication.Uuids;

namespace Tandem.Replication.Protocol;

/// <summary>
/// Encoders and decoders of the small frames (big-endian):
/// ack (RecvAck, WriteAck, NegAck, ResyncAck) = id u64, offset i64, length i32 (20 bytes);
/// Barrier = epoch u32; BarrierAck = epoch u32, set size u32;
/// BitmapChunk = first word index u64, then words u64; SyncStart = sync UUID u64, full u8;
/// SyncDone = the source's four UUIDs; State = role u8, disk u8.
/// </summary>
internal static class ReplicationMessages
{
    public const int AckSize = 20;

    public static byte[] Ack(ulong id, long offset, int length)
    {
        var b = new byte[AckSize];
        BinaryPrimitives.WriteUInt64BigEndian(b, id);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(8), offset);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(16), length);
        return b;
    }

    public static bool TryParseAck(ReadOnlySpan<byte> s, out (ulong Id, long Offset, int Length) ack)
    {
        ack = default;
        if (s.Length != AckSize)
        {
            return false;
        }
        ack = (BinaryPrimitives.ReadUInt64BigEndian(s), BinaryPrimitives.ReadInt64BigEndian(s[8..]), BinaryPrimitives.ReadInt32BigEndian(s[16..]));
        return ack.Offset >= 0 && ack.Length >= 0 && ack.Length <= FrameHeader.MaxData;
    }

    /// <summary>Parses an ack-shaped frame; a malformed one ends the session, naming <paramref name="what"/>.</summary>
    public static (ulong Id, long Offset, int Length) ParseAck(byte[] payload, string what) =>
        TryParseAck(payload, out var ack) ? ack : throw new ProtocolException($"malformed {what}");

    public static byte[] Barrier(uint epoch, uint setSize)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(b, epoch);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), setSize);
        return b;
    }

    public static bool TryParseBarrier(ReadOnlySpan<byte> s, out uint epoch, out uint setSize)
    {
        epoch = setSize = 0;
        if (s.Length != 8)
        {
            return false;
        }
        epoch = BinaryPrimitives.ReadUInt32BigEndian(s);
        setSize = BinaryPrimitives.ReadUInt32BigEndian(s[4..]);
        return true;
    }

    public static byte[] BitmapChunk(long firstWord, ReadOnlySpan<ulong> words)
    {
        var b = new byte[8 + 8 * words.Length];
        BinaryPrimitives.WriteInt64BigEndian(b, firstWord);
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(8 + 8 * i), words[i]);
        }
        return b;
    }

    public static bool TryParseBitmapChunk(ReadOnlySpan<byte> s, out long firstWord, out ulong[] words)
    {
        firstWord = 0;
        words = [];
        if (s.Length < 8 || (s.Length - 8) % 8 != 0)
        {
            return false;
        }
        firstWord = BinaryPrimitives.ReadInt64BigEndian(s);
        if (firstWord < 0)
        {
            return false;
        }
        words = new ulong[(s.Length - 8) / 8];
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt64BigEndian(s[(8 + 8 * i)..]);
        }
        return true;
    }

    public static byte[] Uuids(GenerationUuids u, byte extra = 0)
    {
        var b = new byte[33];
        BinaryPrimitives.WriteUInt64BigEndian(b, u.Current);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(8), u.Bitmap);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(16), u.History0);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(24), u.History1);
        b[32] = extra;
        return b;
    }

    public static bool TryParseUuids(ReadOnlySpan<byte> s, out GenerationUuids u, out byte extra)
    {
        u = default;
        extra = 0;
        if (s.Length != 33)
        {
            return false;
        }
        u = new GenerationUuids(BinaryPrimitives.ReadUInt64BigEndian(s), BinaryPrimitives.ReadUInt64BigEndian(s[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(s[16..]), BinaryPrimitives.ReadUInt64BigEndian(s[24..]));
        extra = s[32];
        return true;
    }
}
