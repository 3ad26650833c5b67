using System.Buffers.Binary;
using System.IO.Hashing;
using Tandem.Replication.Uuids;

namespace Tandem.Replication.Metadata;

/// <summary>
/// The superblock, stored twice in alternating 4 KiB slots. A write goes to the slot that does
/// not hold the newest valid copy, so a torn write can only damage the older copy: at open the
/// valid slot (magic, version and CRC32C right) with the highest sequence number wins.
/// </summary>
internal sealed record Superblock
{
    // Layout (big-endian), 4096 bytes:
    //  0 magic u32 'TMD1'   4 version u16   6 reserved u16   8 sequence u64
    // 16 usable size u64 (bytes)  24 current u64  32 bitmap u64  40 history0 u64  48 history1 u64
    // 56 device uuid u64  64 flags u32  68 al extents u32  72 bytes per bit u32  76 external u32
    // 80 last agreed size u64  88..4091 zero  4092 crc32c u32 over bytes 0..4091
    public const int Size = 4096;
    public const uint Magic = 0x544D4431;
    public const ushort CurrentVersion = 1;

    public ulong Sequence { get; init; }
    public long UsableSize { get; init; }
    public GenerationUuids Uuids { get; init; }
    public ulong DeviceUuid { get; init; }
    public MetadataFlags Flags { get; init; }
    public int AlExtents { get; init; }
    public int BytesPerBit { get; init; } = QuickSyncBitmap.BytesPerBit;
    public bool External { get; init; }
    public long LastAgreedSize { get; init; }

    public void Format(Span<byte> slot)
    {
        slot[..Size].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(slot, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(slot[4..], CurrentVersion);
        BinaryPrimitives.WriteUInt64BigEndian(slot[8..], Sequence);
        BinaryPrimitives.WriteInt64BigEndian(slot[16..], UsableSize);
        BinaryPrimitives.WriteUInt64BigEndian(slot[24..], Uuids.Current);
        BinaryPrimitives.WriteUInt64BigEndian(slot[32..], Uuids.Bitmap);
        BinaryPrimitives.WriteUInt64BigEndian(slot[40..], Uuids.History0);
        BinaryPrimitives.WriteUInt64BigEndian(slot[48..], Uuids.History1);
        BinaryPrimitives.WriteUInt64BigEndian(slot[56..], DeviceUuid);
        BinaryPrimitives.WriteUInt32BigEndian(slot[64..], (uint)Flags);
        BinaryPrimitives.WriteInt32BigEndian(slot[68..], AlExtents);
        BinaryPrimitives.WriteInt32BigEndian(slot[72..], BytesPerBit);
        BinaryPrimitives.WriteUInt32BigEndian(slot[76..], External ? 1u : 0u);
        BinaryPrimitives.WriteInt64BigEndian(slot[80..], LastAgreedSize);
        BinaryPrimitives.WriteUInt32BigEndian(slot[(Size - 4)..], Crc32C(slot[..(Size - 4)]));
    }

    /// <summary>Parses a slot; null when it is not a valid superblock (torn, foreign or empty).</summary>
    public static Superblock? TryParse(ReadOnlySpan<byte> slot, out string why)
    {
        if (slot.Length < Size)
        {
            why = "short";
            return null;
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(slot) != Magic)
        {
            why = "no magic";
            return null;
        }
        var version = BinaryPrimitives.ReadUInt16BigEndian(slot[4..]);
        if (version != CurrentVersion)
        {
            why = $"unsupported metadata version {version} (this release reads {CurrentVersion})";
            return null;
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(slot[(Size - 4)..]) != Crc32C(slot[..(Size - 4)]))
        {
            why = "checksum mismatch";
            return null;
        }
        var sb = new Superblock
        {
            Sequence = BinaryPrimitives.ReadUInt64BigEndian(slot[8..]),
            UsableSize = BinaryPrimitives.ReadInt64BigEndian(slot[16..]),
            Uuids = new GenerationUuids(
                BinaryPrimitives.ReadUInt64BigEndian(slot[24..]),
                BinaryPrimitives.ReadUInt64BigEndian(slot[32..]),
                BinaryPrimitives.ReadUInt64BigEndian(slot[40..]),
                BinaryPrimitives.ReadUInt64BigEndian(slot[48..])),
            DeviceUuid = BinaryPrimitives.ReadUInt64BigEndian(slot[56..]),
            Flags = (MetadataFlags)BinaryPrimitives.ReadUInt32BigEndian(slot[64..]),
            AlExtents = BinaryPrimitives.ReadInt32BigEndian(slot[68..]),
            BytesPerBit = BinaryPrimitives.ReadInt32BigEndian(slot[72..]),
            External = BinaryPrimitives.ReadUInt32BigEndian(slot[76..]) != 0,
            LastAgreedSize = BinaryPrimitives.ReadInt64BigEndian(slot[80..]),
        };
        if (sb.BytesPerBit != QuickSyncBitmap.BytesPerBit || sb.AlExtents < 1 || sb.AlExtents > ActivityLog.MaxExtents || sb.UsableSize < 0)
        {
            why = "fields out of range";
            return null;
        }
        why = "";
        return sb;
    }

    private static uint Crc32C(ReadOnlySpan<byte> data) => Crc32CHelper.Compute(data);
}
