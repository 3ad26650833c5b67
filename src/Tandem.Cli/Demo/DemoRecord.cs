using System.Buffers.Binary;
using System.IO.Hashing;

namespace Tandem.Cli.Demo;

/// <summary>
/// The demo service's unit of work: a numbered 4 KiB record that says what it is (magic, number,
/// time) and carries a CRC-32, so that a checker can tell a record that is there from one that is
/// missing, stale (an older number) or torn.
/// </summary>
internal static class DemoRecord
{
    /// <summary>Bytes per record: one 4 KiB block, so that a record is written whole or not at all.</summary>
    public const int Size = 4096;

    private const int CrcOffset = Size - 4;
    private static ReadOnlySpan<byte> Magic => "TANDEMR1"u8;

    /// <summary>Where record <paramref name="number"/> lives on a volume of <paramref name="volumeSize"/> bytes (records wrap around).</summary>
    /// <param name="number">The record number.</param>
    /// <param name="volumeSize">The volume's size.</param>
    /// <returns>The byte offset.</returns>
    public static ulong Offset(long number, ulong volumeSize) => (ulong)number % (volumeSize / Size) * Size;

    /// <summary>Fills <paramref name="record"/> with record <paramref name="number"/>.</summary>
    /// <param name="record">A 4 KiB buffer.</param>
    /// <param name="number">The record number.</param>
    /// <param name="unixMilliseconds">When it was written.</param>
    public static void Format(Span<byte> record, long number, long unixMilliseconds)
    {
        Magic.CopyTo(record);
        BinaryPrimitives.WriteInt64BigEndian(record[8..], number);
        BinaryPrimitives.WriteInt64BigEndian(record[16..], unixMilliseconds);
        for (var i = 24; i < CrcOffset; i++)
        {
            record[i] = (byte)((number * 31) + i);
        }
        BinaryPrimitives.WriteUInt32BigEndian(record[CrcOffset..], Crc32.HashToUInt32(record[..CrcOffset]));
    }

    /// <summary>What a block read back holds, compared with the record that should be there.</summary>
    /// <param name="block">4 KiB read from the record's offset.</param>
    /// <param name="number">The record expected there.</param>
    /// <returns>Null when it is that record, intact; otherwise what is wrong.</returns>
    public static string? Check(ReadOnlySpan<byte> block, long number)
    {
        if (!block.StartsWith(Magic))
        {
            return "missing (no record there)";
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(block[CrcOffset..]) != Crc32.HashToUInt32(block[..CrcOffset]))
        {
            return "torn (bad checksum)";
        }
        var found = BinaryPrimitives.ReadInt64BigEndian(block[8..]);
        return found == number ? null : $"stale (record {found} is there)";
    }
}
