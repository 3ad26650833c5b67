using CsCheck;
using Tandem.Daemon.Subsystems;
using Tandem.Replication;
using Xunit;

namespace Tandem.Daemon.Tests.Subsystems;

public sealed class OutdateMessageTests
{
    private static readonly Gen<string> s_name = Gen.OneOf(
        Gen.Const("r0"), Gen.Const("r0-1"),
        Gen.String[1, 60].Where(s => System.Text.Encoding.UTF8.GetByteCount(s) is > 0 and <= 255 && !s.Any(char.IsSurrogate)));

    private static readonly Gen<OutdateMessage> s_message = Gen.OneOf(
        Gen.Select(Gen.UInt, s_name, Gen.String[0, 100].Where(s => !s.Any(char.IsSurrogate)),
            (id, name, detail) => OutdateMessage.Request(id, name, detail)),
        Gen.Select(Gen.UInt, Gen.Enum<FencePeerResult>(), Gen.Enum<DiskState>(), s_name, Gen.String[0, 100].Where(s => !s.Any(char.IsSurrogate)),
            (id, result, disk, name, detail) => new OutdateMessage(true, id, result, disk, name, detail)));

    [Fact]
    public void Every_message_survives_a_round_trip()
    {
        s_message.Sample(m => Assert.Equal(m, OutdateMessage.Parse(m.Format())));
    }

    [Fact]
    public void Every_truncation_of_a_message_is_rejected()
    {
        s_message.Sample(m =>
        {
            var bytes = m.Format();
            for (var n = 0; n < bytes.Length; n++)
            {
                Assert.Throws<FormatException>(() => OutdateMessage.Parse(bytes.AsSpan(0, n)));
            }
        }, iter: 50);
    }

    [Fact]
    public void It_starts_with_its_prefix_so_the_placement_protocol_never_sees_it_and_other_versions_are_refused()
    {
        var bytes = OutdateMessage.Request(7, "r0", "lost the link").Format();
        Assert.Equal(OutdateMessage.Prefix, bytes[0]);
        Assert.NotEqual(Tandem.Resources.Placement.PlacementMessage.Version, bytes[0]);

        bytes[1] = 2;
        var e = Assert.Throws<FormatException>(() => OutdateMessage.Parse(bytes));
        Assert.Contains("version 2", e.Message, StringComparison.Ordinal);

        var reply = new OutdateMessage(true, 7, FencePeerResult.PeerOutdated, DiskState.Outdated, "r0", "").Format();
        reply[7] = 99; // no such result
        Assert.Throws<FormatException>(() => OutdateMessage.Parse(reply));
    }

    [Fact]
    public void A_long_detail_is_cut_to_the_limit_and_still_parses()
    {
        var m = new OutdateMessage(true, 1, FencePeerResult.PeerRefused, DiskState.UpToDate, "r0", new string('é', 400));
        var back = OutdateMessage.Parse(m.Format());
        Assert.Equal(OutdateMessage.MaxDetailBytes / 2, back.Detail.Length);
    }
}
