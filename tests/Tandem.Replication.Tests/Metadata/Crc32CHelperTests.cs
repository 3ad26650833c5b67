using System.Text;
using Tandem.Replication.Metadata;
using Xunit;

namespace Tandem.Replication.Tests.Metadata;

public sealed class Crc32CHelperTests
{
    [Fact]
    public void Gives_the_standard_check_value() =>
        Assert.Equal(0xE3069283u, Crc32CHelper.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void Agrees_with_a_bitwise_model_at_every_length_and_alignment()
    {
        var data = new byte[64];
        new Random(7).NextBytes(data);
        for (var start = 0; start < 8; start++)
        {
            for (var length = 0; start + length <= data.Length; length++)
            {
                var span = data.AsSpan(start, length);
                Assert.Equal(Bitwise(span), Crc32CHelper.Compute(span));
            }
        }
    }

    private static uint Bitwise(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0x82F63B78u ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }
}
