using CsCheck;
using Tandem.Resources.Placement;
using Xunit;

namespace Tandem.Resources.Tests.Placement;

public sealed class PlacementMessageTests
{
    private static readonly Gen<string> s_name = Gen.OneOf(
        Gen.Const("drbddisk::r0"), Gen.Const("web"), Gen.Const("IPaddr::10.0.0.1/24/eth0"),
        Gen.Char['a', 'z'].Array[1, 40].Select(a => new string(a)),
        Gen.String[1, 60].Where(s => System.Text.Encoding.UTF8.GetByteCount(s) is > 0 and <= 255 && !s.Any(char.IsSurrogate)));

    private static readonly Gen<PlacementMessage> s_message =
        Gen.Select(
            Gen.Enum<PlacementMessageType>(),
            Gen.UInt,
            Gen.Byte,
            Gen.Select(s_name, Gen.Byte, (n, c) => new PlacementEntry(n, c)).List[0, 20],
            Gen.String[0, 100].Where(s => !s.Any(char.IsSurrogate)),
            (t, id, flags, entries, reason) => new PlacementMessage(t, id, flags, entries, reason));

    [Fact]
    public void Every_message_survives_a_round_trip()
    {
        s_message.Sample(m =>
        {
            var back = PlacementMessage.Parse(m.Format());
            Assert.Equal(m.Type, back.Type);
            Assert.Equal(m.Id, back.Id);
            Assert.Equal(m.Flags, back.Flags);
            Assert.Equal(m.Entries, back.Entries);
            Assert.Equal(m.Reason, back.Reason);
        });
    }

    [Fact]
    public void Every_truncation_of_a_message_is_rejected_with_a_protocol_error()
    {
        s_message.Sample(m =>
        {
            var bytes = m.Format();
            for (var n = 0; n < bytes.Length; n++)
            {
                Assert.Throws<PlacementProtocolException>(() => PlacementMessage.Parse(bytes.AsSpan(0, n)));
            }
        }, iter: 50);
    }

    [Fact]
    public void Another_version_is_rejected_by_name()
    {
        var bytes = new PlacementMessage(PlacementMessageType.State, 0, 0, [], "x").Format();
        bytes[0] = 2;
        var e = Assert.Throws<PlacementProtocolException>(() => PlacementMessage.Parse(bytes));
        Assert.Contains("version 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_types_too_many_groups_and_trailing_bytes_are_rejected()
    {
        var bytes = new PlacementMessage(PlacementMessageType.Request, 7, 0, [new("web", 0)], "why").Format();
        var badType = (byte[])bytes.Clone();
        badType[1] = 99;
        Assert.Throws<PlacementProtocolException>(() => PlacementMessage.Parse(badType));
        var many = (byte[])bytes.Clone();
        many[7] = 0xFF;
        many[8] = 0xFF;
        Assert.Throws<PlacementProtocolException>(() => PlacementMessage.Parse(many));
        Assert.Throws<PlacementProtocolException>(() => PlacementMessage.Parse([.. bytes, 0]));
    }

    [Fact]
    public void A_long_reason_is_cut_to_the_limit_on_a_character_boundary()
    {
        var m = new PlacementMessage(PlacementMessageType.Released, 1, 0, [new("web", 1)], new string('é', 500));
        var back = PlacementMessage.Parse(m.Format());
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(back.Reason) <= PlacementMessage.MaxReasonBytes);
        Assert.All(back.Reason, c => Assert.Equal('é', c));
    }

    [Fact]
    public void The_layout_is_big_endian_with_the_version_first()
    {
        var bytes = new PlacementMessage(PlacementMessageType.Released, 0x01020304, 1, [new("ab", 3)], "r").Format();
        Assert.Equal(new byte[] { 1, 3, 1, 2, 3, 4, 1, 0, 1, 2, (byte)'a', (byte)'b', 3, 0, 1, (byte)'r' }, bytes);
    }
}
