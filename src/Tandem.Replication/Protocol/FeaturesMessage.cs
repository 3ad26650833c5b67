using System.Buffers.Binary;

namespace Tandem.Replication.Protocol;

/// <summary>
/// The first frame each side sends (DRBD's P_CONNECTION_FEATURES). Layout (big-endian), 16 bytes:
/// lowest supported protocol version u32, highest u32, feature bits u32, reserved u32.
/// </summary>
internal readonly record struct FeaturesMessage(uint MinVersion, uint MaxVersion, FeatureFlags Features)
{
    public const int Size = 16;

    public byte[] Format()
    {
        var b = new byte[Size];
        BinaryPrimitives.WriteUInt32BigEndian(b, MinVersion);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), MaxVersion);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), (uint)Features);
        return b;
    }

    public static bool TryParse(ReadOnlySpan<byte> s, out FeaturesMessage m)
    {
        m = default;
        if (s.Length < Size)
        {
            return false;
        }
        m = new FeaturesMessage(BinaryPrimitives.ReadUInt32BigEndian(s), BinaryPrimitives.ReadUInt32BigEndian(s[4..]),
            (FeatureFlags)BinaryPrimitives.ReadUInt32BigEndian(s[8..]));
        return m.MinVersion <= m.MaxVersion;
    }
}

/// <summary>Optional capabilities; the agreed set is the AND of both sides'.</summary>
[Flags]
internal enum FeatureFlags : uint
{
    None = 0,

    /// <summary>This side has a shared secret and will demand authentication.</summary>
    RequiresAuth = 1,

    /// <summary>Flush/FUA are completed only after the peer's barrier ack.</summary>
    FlushAfterBarrierAck = 2,

    /// <summary>Write-zeroes travels as a flag, without a payload.</summary>
    Zeroes = 4,

    /// <summary>Diskless reads (DataRequest/DataReply), negative acks, out-of-sync notices (detach, Ahead) and resize.</summary>
    DisklessResizeCongestion = 8,

    /// <summary>Scattered out-of-sync runs travel several to a frame (ResyncBatch / ResyncBatchAck).</summary>
    ResyncBatch = 16,
}
