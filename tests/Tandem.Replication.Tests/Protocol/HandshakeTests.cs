using Tandem.Core.Model;
using Tandem.Replication.Protocol;
using Tandem.Replication.Tests.Support;
using Tandem.Replication.Uuids;
using Xunit;

namespace Tandem.Replication.Tests.Protocol;

public sealed class HandshakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ParamsMessage Params(long size = 1 << 20, ReplicationProtocol protocol = ReplicationProtocol.C, string sb0 = "disconnect") => new()
    {
        Protocol = protocol,
        Size = size,
        Uuids = GenerationUuids.Created,
        Role = Role.Secondary,
        Disk = DiskState.Inconsistent,
        Policies = new SplitBrainPolicies(sb0),
        NodeName = "n",
    };

    private static async Task<(Task<HandshakeResult> A, Task<HandshakeResult> B)> RunAsync(
        HandshakeOptions a, HandshakeOptions b, ParamsMessage pa, ParamsMessage pb, HandshakeProgress? progressA = null, HandshakeProgress? progressB = null)
    {
        var (sa, sb) = await Loopback.PairAsync(Ct);
        var ca = new PeerConnection(sa);
        var cb = new PeerConnection(sb);
        var ta = Handshake.RunAsync(ca, a, () => Task.FromResult(pa), progressA, Ct);
        var tb = Handshake.RunAsync(cb, b, () => Task.FromResult(pb), progressB, Ct);
        try
        {
            await Task.WhenAll(ta, tb).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        }
        catch (ProtocolException)
        {
            // One side refusing ends the other's read: close both so neither waits for more.
        }
        catch (IOException)
        {
        }
        await ca.DisposeAsync();
        await cb.DisposeAsync();
        return (ta, tb);
    }

    [Fact]
    public async Task Agreeing_peers_connect_and_use_the_smaller_size()
    {
        var o = HandshakeOptions.Default(null, null);
        var (a, b) = await RunAsync(o, o, Params(4 << 20), Params(2 << 20));
        Assert.Equal(2 << 20, (await a).AgreedSize);
        Assert.Equal(2 << 20, (await b).AgreedSize);
        Assert.Equal(Handshake.MaxVersion, (await a).Version);
    }

    [Fact]
    public async Task Version_skew_is_refused_with_advice_on_which_side_to_upgrade()
    {
        var old = HandshakeOptions.Default(null, null);
        var future = old with { MinVersion = 5, MaxVersion = 7 };
        var (a, b) = await RunAsync(old, future, Params(), Params());
        var ex = await Assert.ThrowsAsync<ProtocolException>(() => a);
        Assert.Contains("versions 1-1, the peer 5-7", ex.Message);
        Assert.Contains("upgrade this node", ex.Message);
        await Assert.ThrowsAnyAsync<Exception>(() => b);
    }

    [Fact]
    public async Task With_a_secret_a_version_skew_is_refused_after_authentication_so_it_is_the_peers_word()
    {
        // Issue #18 item 5: only a refusal by the authenticated peer may stop the retries, so the
        // version check waits for the challenge-response when both sides have a secret.
        var old = HandshakeOptions.Default("sha256", "s3cret");
        var future = old with { MinVersion = 5, MaxVersion = 7 };
        HandshakeProgress pa = new(), pb = new();
        var (a, b) = await RunAsync(old, future, Params(), Params(), pa, pb);
        var ex = await Assert.ThrowsAsync<ProtocolException>(() => a);
        Assert.Contains("upgrade this node", ex.Message);
        await Assert.ThrowsAnyAsync<Exception>(() => b);
        Assert.True(pa.Authenticated, "alpha authenticated its peer before refusing the version");
        Assert.True(pb.Authenticated, "beta authenticated its peer before refusing the version");

        // The same skew from someone without the secret is not authenticated.
        HandshakeProgress pc = new();
        var (c, d) = await RunAsync(old, future with { Secret = "guess"u8.ToArray() }, Params(), Params(), pc);
        var refused = await Assert.ThrowsAsync<ProtocolException>(() => c);
        Assert.Contains("authentication failed", refused.Message);
        await Assert.ThrowsAnyAsync<Exception>(() => d);
        Assert.False(pc.Authenticated);
    }

    [Fact]
    public async Task Overlapping_version_ranges_agree_on_the_highest_common_version()
    {
        var a = HandshakeOptions.Default(null, null) with { MinVersion = 1, MaxVersion = 3 };
        var b = a with { MinVersion = 2, MaxVersion = 5 };
        var (ta, tb) = await RunAsync(a, b, Params(), Params());
        Assert.Equal(3u, (await ta).Version);
        Assert.Equal(3u, (await tb).Version);
    }

    [Fact]
    public async Task Same_secret_authenticates()
    {
        var o = HandshakeOptions.Default("sha256", "s3cret");
        var (a, b) = await RunAsync(o, o, Params(), Params());
        await a;
        await b;
    }

    [Fact]
    public async Task Different_secret_is_refused()
    {
        var (a, b) = await RunAsync(HandshakeOptions.Default("sha1", "one"), HandshakeOptions.Default("sha1", "two"), Params(), Params());
        var ex = await Assert.ThrowsAsync<ProtocolException>(() => a);
        Assert.Contains("shared-secret", ex.Message);
        await Assert.ThrowsAnyAsync<Exception>(() => b);
    }

    [Fact]
    public async Task A_configured_secret_refuses_an_unauthenticated_peer()
    {
        var (a, b) = await RunAsync(HandshakeOptions.Default("sha256", "s3cret"), HandshakeOptions.Default(null, null), Params(), Params());
        var ex = await Assert.ThrowsAsync<ProtocolException>(() => a);
        Assert.Contains("requires authentication", ex.Message);
        await Assert.ThrowsAnyAsync<Exception>(() => b);
    }

    [Fact]
    public async Task Protocol_mismatch_is_refused_saying_what_to_set()
    {
        var o = HandshakeOptions.Default(null, null);
        var (a, _) = await RunAsync(o, o, Params(protocol: ReplicationProtocol.A), Params());
        var ex = await Assert.ThrowsAnyAsync<ProtocolException>(() => a);
        Assert.Contains("protocol", ex.Message);
    }

    [Fact]
    public void Mirrored_discard_policies_agree_and_different_ones_do_not()
    {
        Assert.Null(Handshake.CheckAgreement(Params(sb0: "discard-local"), Params(sb0: "discard-remote")));
        Assert.Contains("after-sb", Handshake.CheckAgreement(Params(sb0: "discard-local"), Params(sb0: "discard-local")));
    }

    [Fact]
    public void Oversized_frames_are_rejected_from_the_header_before_allocation()
    {
        var h = new byte[FrameHeader.Size];
        new FrameHeader(FrameType.Data, int.MaxValue).Format(h);
        Assert.False(FrameHeader.TryParse(h, out _, out var error));
        Assert.Contains("exceeds", error);
        new FrameHeader(FrameType.Ping, 65).Format(h);
        Assert.False(FrameHeader.TryParse(h, out _, out _));
        new FrameHeader(FrameType.Data, 4096 + DataHeader.Size).Format(h);
        Assert.True(FrameHeader.TryParse(h, out var ok, out _));
        Assert.Equal(FrameType.Data, ok.Type);
    }

    [Fact]
    public void Params_round_trip()
    {
        var p = Params() with { DiscardMyData = true, CrashedPrimary = true, DirtyBlocks = 77, Uuids = new GenerationUuids(1, 2, 3, 4) };
        Assert.True(ParamsMessage.TryParse(p.Format(), out var q, out _));
        Assert.Equal(p, q with { Policies = p.Policies });
        Assert.Equal(p.Policies, q.Policies);
    }
}
