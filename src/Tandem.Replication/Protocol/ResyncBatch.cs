using System.Buffers.Binary;

namespace Tandem.Replication.Protocol;

/// <summary>
/// The payload of a <see cref="FrameType.ResyncBatch"/>: several out-of-sync runs of one extent in
/// one frame, so that a bitmap with scattered dirty blocks costs one frame, one wake-up and one
/// acknowledgement per batch instead of per 4 KiB block. Layout (big-endian): batch id u64 (echoed
/// by the <see cref="FrameType.ResyncBatchAck"/>), run count u16, reserved u16 (0), then per run
/// offset i64 and length u32, then the runs' data in the same order.
/// Runs are ascending and do not overlap; their data totals at most <see cref="MaxData"/>.
/// </summary>
internal static class ResyncBatch
{
    /// <summary>Most runs in one batch.</summary>
    public const int MaxRuns = 256;

    /// <summary>Most data in one batch: 1 MiB, so that a resync of scattered blocks costs one
    /// acknowledgement, and one wake-up of each side, per 256 blocks.</summary>
    public const int MaxData = FrameHeader.MaxData;

    /// <summary>Bytes before the first run's data.</summary>
    public static int HeaderSize(int runs) => 12 + 12 * runs;

    /// <summary>Largest payload: a full header and a full chunk of data.</summary>
    public static int MaxPayload => HeaderSize(MaxRuns) + MaxData;

    /// <summary>Writes the header for <paramref name="runs"/>; the caller fills the data after it.</summary>
    public static void WriteHeader(Span<byte> destination, ulong id, ReadOnlySpan<(long Offset, int Length)> runs)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], (ushort)runs.Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], 0);
        for (var i = 0; i < runs.Length; i++)
        {
            var at = destination[(12 + 12 * i)..];
            BinaryPrimitives.WriteInt64BigEndian(at, runs[i].Offset);
            BinaryPrimitives.WriteUInt32BigEndian(at[8..], (uint)runs[i].Length);
        }
    }

    /// <summary>
    /// Parses and validates a batch against a volume of <paramref name="size"/> bytes:
    /// <paramref name="runs"/> (at least <see cref="MaxRuns"/> long) receives the runs, and the
    /// data starts at <see cref="HeaderSize"/> of their count.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, long size, Span<(long Offset, int Length)> runs, out ulong id, out int count, out string error)
    {
        id = 0;
        count = 0;
        if (payload.Length < HeaderSize(0))
        {
            error = "short resync batch";
            return false;
        }
        id = BinaryPrimitives.ReadUInt64BigEndian(payload);
        var n = BinaryPrimitives.ReadUInt16BigEndian(payload[8..]);
        if (n == 0 || n > MaxRuns || BinaryPrimitives.ReadUInt16BigEndian(payload[10..]) != 0)
        {
            error = $"resync batch of {n} runs (1..{MaxRuns}, reserved 0)";
            return false;
        }
        if (payload.Length < HeaderSize(n))
        {
            error = $"resync batch of {n} runs is shorter than its header";
            return false;
        }
        long total = 0;
        long end = 0;
        for (var i = 0; i < n; i++)
        {
            var at = payload[(12 + 12 * i)..];
            var offset = BinaryPrimitives.ReadInt64BigEndian(at);
            var length = BinaryPrimitives.ReadUInt32BigEndian(at[8..]);
            if (offset < end || length == 0 || length > MaxData || offset > size - length)
            {
                error = $"resync batch run {offset}+{length} is out of order, empty or beyond the agreed size {size}";
                return false;
            }
            runs[i] = (offset, (int)length);
            end = offset + length;
            total += length;
        }
        if (total != payload.Length - HeaderSize(n))
        {
            error = $"resync batch runs total {total} bytes, its data is {payload.Length - HeaderSize(n)}";
            return false;
        }
        count = n;
        error = "";
        return true;
    }
}
