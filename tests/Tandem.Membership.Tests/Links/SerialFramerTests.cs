using CsCheck;
using Tandem.Membership.Links;
using Xunit;

namespace Tandem.Membership.Tests.Links;

public sealed class SerialFramerTests
{
    [Fact]
    public void Recovers_every_frame_between_noise_in_any_chunking()
    {
        var gen = Gen.Select(
            Gen.Select(Gen.Byte.Array[0, 40], Gen.Byte.Array[1, 300]).Array[1, 20],
            Gen.Int[1, 97]);
        gen.Sample((items, chunk) =>
        {
            var stream = new List<byte>();
            foreach (var (noise, packet) in items)
            {
                stream.AddRange(noise);
                stream.AddRange(SerialFramer.Frame(packet));
            }
            var framer = new SerialFramer();
            var got = new List<byte[]>();
            var bytes = stream.ToArray();
            for (var i = 0; i < bytes.Length; i += chunk)
            {
                framer.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)), p => got.Add(p.ToArray()));
            }
            Assert.Equal(items.Select(x => x.Item2), got);
        }, iter: 300);
    }

    [Fact]
    public void A_corrupted_frame_is_dropped_and_the_next_one_found()
    {
        var a = SerialFramer.Frame([1, 2, 3]);
        var b = SerialFramer.Frame([4, 5, 6]);
        a[9] ^= 0xFF;
        var framer = new SerialFramer();
        var got = new List<byte[]>();
        framer.Feed([.. a, .. b], p => got.Add(p.ToArray()));
        Assert.Equal([new byte[] { 4, 5, 6 }], got);
        Assert.True(framer.Discarded > 0);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Gen.Byte.Array[0, 5000].Sample(bytes => new SerialFramer().Feed(bytes, _ => { }), iter: 300);
    }
}
