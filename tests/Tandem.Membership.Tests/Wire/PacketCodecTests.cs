using CsCheck;
using Tandem.Core.Model;
using Tandem.Membership.Wire;
using Xunit;

namespace Tandem.Membership.Tests.Wire;

public sealed class PacketCodecTests
{
    private static readonly Gen<PacketType> s_type = Gen.Enum<PacketType>();

    private static byte[] Encode(PacketCodec codec, PacketType type, ulong gen, ulong seq, byte[] payload)
    {
        var buffer = new byte[codec.PacketSize(payload.Length)];
        var n = codec.Encode(type, gen, seq, payload, buffer);
        Assert.Equal(buffer.Length, n);
        return buffer;
    }

    [Theory]
    [InlineData(AuthMethod.Md5)]
    [InlineData(AuthMethod.Sha1)]
    [InlineData(AuthMethod.Sha256)]
    [InlineData(AuthMethod.Sha512)]
    [InlineData(AuthMethod.Crc)]
    public void Round_trips_every_field(AuthMethod method)
    {
        var auth = TestCluster.Auth(method);
        var alpha = TestCluster.Codec("alpha", auth);
        var beta = TestCluster.Codec("beta", auth);
        Gen.Select(s_type, Gen.ULong, Gen.ULong, Gen.Byte.Array[0, 2000]).Sample((type, gen, seq, payload) =>
        {
            var packet = Encode(alpha, type, gen, seq, payload);
            Assert.Equal(RejectReason.None, beta.TryDecode(packet, out var d));
            Assert.Equal("alpha", d.Sender);
            Assert.Equal(type, d.Header.Type);
            Assert.Equal(gen, d.Header.Generation);
            Assert.Equal(seq, d.Header.Sequence);
            Assert.Equal(payload, d.Payload(packet).ToArray());
        }, iter: 300);
    }

    [Fact]
    public void Every_single_bit_flip_is_rejected()
    {
        var alpha = TestCluster.Codec("alpha");
        var beta = TestCluster.Codec("beta");
        Gen.Select(Gen.Byte.Array[0, 64], Gen.Int.Positive).Sample((payload, pick) =>
        {
            var packet = Encode(alpha, PacketType.Heartbeat, 3, 7, payload);
            var bit = pick % (packet.Length * 8);
            packet[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(RejectReason.None, beta.TryDecode(packet, out _));
        }, iter: 2000);
    }

    [Fact]
    public void Every_truncation_and_extension_is_rejected()
    {
        var alpha = TestCluster.Codec("alpha");
        var beta = TestCluster.Codec("beta");
        var packet = Encode(alpha, PacketType.Data, 1, 1, new byte[100]);
        for (var len = 0; len < packet.Length; len++)
        {
            var reason = beta.TryDecode(packet.AsSpan(0, len), out _);
            Assert.True(reason is RejectReason.Truncated, $"length {len}: {reason}");
        }
        var longer = packet.Concat(new byte[] { 0 }).ToArray();
        Assert.Equal(RejectReason.Oversized, beta.TryDecode(longer, out _));
        Assert.Equal(RejectReason.Oversized, beta.TryDecode(new byte[PacketCodec.MaxPacketSize + 1], out _));
    }

    [Fact]
    public void Forged_and_foreign_packets_are_rejected_with_their_reason()
    {
        var beta = TestCluster.Codec("beta");
        var packet = Encode(TestCluster.Codec("alpha"), PacketType.Heartbeat, 1, 1, [1, 2, 3]);

        var wrongKey = Encode(TestCluster.Codec("alpha", TestCluster.Auth(secret: "other")), PacketType.Heartbeat, 1, 1, [1, 2, 3]);
        Assert.Equal(RejectReason.BadMac, beta.TryDecode(wrongKey, out _));

        var wrongIndex = Encode(TestCluster.Codec("alpha", TestCluster.Auth(index: 5)), PacketType.Heartbeat, 1, 1, []);
        Assert.Equal(RejectReason.UnknownKey, beta.TryDecode(wrongIndex, out _));

        var otherCluster = Encode(TestCluster.Codec("alpha", cluster: "prod"), PacketType.Heartbeat, 1, 1, []);
        Assert.Equal(RejectReason.OtherCluster, beta.TryDecode(otherCluster, out _));

        var stranger = Encode(TestCluster.Codec("mallory", nodes: ["alpha", "beta", "mallory"]), PacketType.Heartbeat, 1, 1, []);
        Assert.Equal(RejectReason.UnknownNode, beta.TryDecode(stranger, out _));

        var own = Encode(beta, PacketType.Heartbeat, 1, 1, []);
        Assert.Equal(RejectReason.FromSelf, beta.TryDecode(own, out _));

        var version = (byte[])packet.Clone();
        version[4] = 2;
        Assert.Equal(RejectReason.UnknownVersion, beta.TryDecode(version, out _));

        var magic = (byte[])packet.Clone();
        magic[0] = (byte)'X';
        Assert.Equal(RejectReason.BadMagic, beta.TryDecode(magic, out _));

        // A payload length that claims more than any packet: oversized, and no wrap-around.
        var huge = (byte[])packet.Clone();
        huge[32] = 0xFF;
        Assert.Equal(RejectReason.Oversized, beta.TryDecode(huge, out _));
    }

    [Fact]
    public void Sender_names_compare_case_insensitively_and_come_back_canonical()
    {
        var upper = new PacketCodec("test", ["ALPHA", "beta"], "ALPHA", new PacketAuthenticator(TestCluster.Auth()));
        var beta = TestCluster.Codec("beta");
        var packet = Encode(upper, PacketType.Heartbeat, 1, 1, []);
        Assert.Equal(RejectReason.None, beta.TryDecode(packet, out var d));
        Assert.Equal("alpha", d.Sender);
    }

    [Fact]
    public void Keys_rotate_without_downtime_each_index_with_its_own_key()
    {
        // alpha already signs with the new key 2; beta still signs with 1 but accepts both.
        var both = new[] { new AuthKey(1, AuthMethod.Sha1, "old"), new AuthKey(2, AuthMethod.Sha256, "new") };
        var alpha = TestCluster.Codec("alpha", new AuthSpec(2, both));
        var beta = TestCluster.Codec("beta", new AuthSpec(1, both));
        var onlyOld = TestCluster.Codec("beta", new AuthSpec(1, [both[0]]));

        var fromAlpha = Encode(alpha, PacketType.Heartbeat, 1, 1, []);
        Assert.Equal(RejectReason.None, beta.TryDecode(fromAlpha, out _));
        Assert.Equal(RejectReason.UnknownKey, onlyOld.TryDecode(fromAlpha, out _));
        Assert.Equal(RejectReason.None, alpha.TryDecode(Encode(beta, PacketType.Heartbeat, 1, 1, []), out _));
    }

    [Fact]
    public void Crc_is_refused_unless_explicitly_allowed()
    {
        var crc = new AuthSpec(1, [new AuthKey(1, AuthMethod.Crc, "")]);
        Assert.Throws<ArgumentException>(() => new PacketAuthenticator(crc));
        _ = new PacketAuthenticator(crc with { AllowInsecure = true });
    }

    [Fact]
    public void Random_bytes_never_throw_and_are_never_accepted()
    {
        var beta = TestCluster.Codec("beta");
        Gen.Byte.Array[0, 300].Sample(bytes => Assert.NotEqual(RejectReason.None, beta.TryDecode(bytes, out _)), iter: 5000);
    }
}
