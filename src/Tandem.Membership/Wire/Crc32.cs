namespace Tandem.Membership.Wire;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected, as zlib computes it). Used for the unkeyed <c>crc</c> auth
/// method and for serial framing; it detects corruption and authenticates nothing.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] s_table = BuildTable();

    /// <summary>Computes the CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
