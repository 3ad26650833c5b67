using System.Buffers.Binary;
using System.Security.Cryptography;
using Tandem.Replication.Metadata;

namespace Tandem.Replication.Protocol;

/// <summary>
/// Per-4 KiB-block digests for online verify (<c>verify-alg</c>) and checksum-based resync
/// (<c>csums-alg</c>), by DRBD's algorithm names. A DigestReply payload (big-endian) is: offset
/// i64, digest size u32, then one digest per 4 KiB block of the requested range.
/// </summary>
internal static class BlockDigest
{
    public const int MaxSize = 64;

    public static bool IsKnown(string? alg) => alg?.ToLowerInvariant() is "md5" or "sha1" or "sha256" or "sha512" or "crc32c";

    public static byte[] Compute(string alg, ReadOnlySpan<byte> data)
    {
        var blocks = (data.Length + QuickSyncBitmap.BytesPerBit - 1) / QuickSyncBitmap.BytesPerBit;
        var size = Size(alg);
        var result = new byte[blocks * size];
        for (var b = 0; b < blocks; b++)
        {
            var block = data.Slice(b * QuickSyncBitmap.BytesPerBit, Math.Min(QuickSyncBitmap.BytesPerBit, data.Length - b * QuickSyncBitmap.BytesPerBit));
            var dest = result.AsSpan(b * size, size);
            switch (alg.ToLowerInvariant())
            {
                case "md5":
                    MD5.HashData(block, dest);
                    break;
                case "sha1":
                    SHA1.HashData(block, dest);
                    break;
                case "sha512":
                    SHA512.HashData(block, dest);
                    break;
                case "crc32c":
                    BinaryPrimitives.WriteUInt32BigEndian(dest, Crc32CHelper.Compute(block));
                    break;
                default:
                    SHA256.HashData(block, dest);
                    break;
            }
        }
        return result;
    }

    public static int Size(string alg) => alg.ToLowerInvariant() switch
    {
        "md5" => 16,
        "sha1" => 20,
        "sha512" => 64,
        "crc32c" => 4,
        _ => 32,
    };
}
