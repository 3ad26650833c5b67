using System.Buffers.Binary;

namespace Tandem.Replication.Protocol;

/// <summary>
/// The frame header. Layout (big-endian), 12 bytes: magic u32 'TREP', type u16, flags u16 (0),
/// payload length u32. Every length is checked against the per-type maximum before any buffer is
/// allocated.
/// </summary>
internal readonly record struct FrameHeader(FrameType Type, int Length)
{
    public const int Size = 12;
    public const uint Magic = 0x54524550;

    /// <summary>Largest data payload: one request of up to 1 MiB.</summary>
    public const int MaxData = 1 << 20;

    /// <summary>Largest bitmap chunk: 64 KiB of words (the bitmap is sent in pieces).</summary>
    public const int MaxBitmapChunk = 8 + (64 << 10);

    /// <summary>Largest resync / verify request: 256 KiB.</summary>
    public const int ResyncChunk = 256 << 10;

    public static int MaxLength(FrameType type) => type switch
    {
        FrameType.Data => DataHeader.Size + MaxData,
        FrameType.ResyncData => 8 + MaxData,
        FrameType.ResyncBatch => ResyncBatch.MaxPayload,
        FrameType.DataReply => 8 + MaxData,
        FrameType.BitmapChunk => MaxBitmapChunk,
        FrameType.Params => 1024,
        FrameType.DigestReply => 8 + 4 + (ResyncChunk / 4096 * BlockDigest.MaxSize),
        FrameType.Error => 1024,
        FrameType.ResizeReply => 1024,
        FrameType.AuthChallenge or FrameType.AuthResponse => 64,
        _ => 64,
    };

    public void Format(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)Type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], Length);
    }

    /// <summary>Parses and validates a header; the error names what was wrong.</summary>
    public static bool TryParse(ReadOnlySpan<byte> source, out FrameHeader header, out string error)
    {
        header = default;
        if (source.Length < Size)
        {
            error = "short header";
            return false;
        }
        var magic = BinaryPrimitives.ReadUInt32BigEndian(source);
        if (magic != Magic)
        {
            error = $"bad magic 0x{magic:X8} (not a Tandem replication peer?)";
            return false;
        }
        var type = (FrameType)BinaryPrimitives.ReadUInt16BigEndian(source[4..]);
        if (!Enum.IsDefined(type))
        {
            error = $"unknown frame type 0x{(ushort)type:X4}";
            return false;
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(source[6..]) != 0)
        {
            error = "reserved flags set";
            return false;
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(source[8..]);
        if (length > (uint)MaxLength(type))
        {
            error = $"{type} frame of {length} bytes exceeds the maximum {MaxLength(type)}";
            return false;
        }
        header = new FrameHeader(type, (int)length);
        error = "";
        return true;
    }
}
