using System.Buffers.Binary;
using System.Numerics;

namespace Tandem.Replication.Metadata;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of metadata and block digests. System.IO.Hashing has no
/// CRC-32C; the runtime's <see cref="BitOperations.Crc32C(uint, ulong)"/> does, using the CPU's
/// instruction where there is one.
/// </summary>
internal static class Crc32CHelper
{
    /// <summary>The CRC-32C of <paramref name="data"/> (initial value and final XOR all ones).</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The checksum.</returns>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }
}
