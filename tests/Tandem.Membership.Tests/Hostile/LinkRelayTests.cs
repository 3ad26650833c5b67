using Tandem.Core.Model;
using Tandem.Membership.Links;
using Tandem.Membership.Wire;
using Xunit;

namespace Tandem.Membership.Tests.Hostile;

/// <summary>
/// Issue #18 item 2: a peer's packets relayed from one link to another made a cut link be reported
/// up. The MAC now binds the link a packet was signed for; a relayed packet is rejected and counted.
/// </summary>
public sealed class LinkRelayTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly string _state = Directory.CreateTempSubdirectory("tandem-relay-").FullName;

    public void Dispose() => Directory.Delete(_state, true);

    [Fact]
    public async Task Packets_relayed_onto_a_cut_link_are_rejected_and_the_link_stays_down()
    {
        var ct = TestContext.Current.CancellationToken;
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.InMemorySpec();
        var links = LinkIdentity.Of(spec.Links); // what both ends bind (not the names, which may differ per node)
        // beta's end of net2 is cut: it goes to a segment nobody else is on.
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state, network);
        var betaEvents = new RecordingEventSink { Node = "beta" };
        var beta = new MembershipService(spec, "beta", Path.Combine(_state, "beta"), betaEvents, TimeProvider.System, Logs.None,
            new MembershipOptions { LinkFactory = l => network.Attach(l.Name == "net2" ? "net2-cut" : l.Name, "beta") });
        var tap = network.Attach("net1", "eve");
        var relay = network.Attach("net2", "eve");
        var reader = new PacketCodec(spec.Name, ["alpha", "beta"], "alpha", new PacketAuthenticator(TestCluster.Auth()), links);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(ct);
            await beta.StartAsync(ct);
            await alphaEvents.WaitAsync("link.up", "beta/net1", s_wait);

            // Relay beta's packets from net1 to net2 until beta has sent 20 link-bound packets in a
            // row (by then both nodes have agreed on the link-bound format).
            var buffer = new byte[PacketCodec.MaxPacketSize];
            int bound = 0, legacy = 0, inARow = 0;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(s_wait);
            while (inARow < 20)
            {
                var n = (await tap.ReceiveAsync(buffer, deadline.Token)).Length;
                if (reader.TryDecode(buffer.AsSpan(0, n), link: 0, out var d) != RejectReason.None || d.Sender != "beta")
                {
                    continue;
                }
                if (d.Header.Version == PacketHeader.LinkBoundVersion)
                {
                    bound++;
                    inARow++;
                }
                else
                {
                    legacy++;
                    inARow = 0;
                }
                await relay.SendAsync(buffer.AsMemory(0, n), ct);
            }

            // A packet really signed for net2, after the relayed ones on the same ordered segment:
            // once alpha reports net2 up, every relayed packet before it has been judged.
            var honest = new PacketCodec(spec.Name, ["alpha", "beta"], "beta", new PacketAuthenticator(TestCluster.Auth()), links);
            var payload = new byte[HeartbeatPayload.Size];
            new HeartbeatPayload(NodeStatus.Active, 500, 100).Write(payload);
            var genuine = new byte[honest.PacketSize(payload.Length)];
            honest.Encode(PacketType.Heartbeat, beta.Generation, ulong.MaxValue / 2, payload, genuine, link: 1);
            await relay.SendAsync(genuine, ct);
            await alphaEvents.WaitAsync("link.up", "beta/net2", s_wait);

            Assert.Single(alphaEvents.OfKind("link.up"), e => e.Subject == "beta/net2");
            Assert.Equal(bound, alpha.Rejects[RejectReason.WrongLink]);
            // The unbound copies beta sent while the formats were agreed: alpha had beta's first
            // (link-bound) packet before net1 came up, so every copy relayed after is refused (the
            // counter also holds the copies that came the honest way, on net1).
            Assert.True(alpha.Rejects[RejectReason.Unbound] >= legacy, $"{alpha.Rejects[RejectReason.Unbound]} unbound rejects for {legacy} relayed copies");
            Assert.True(bound >= 20);
        }
        await tap.DisposeAsync();
        await relay.DisposeAsync();
    }

    [Fact]
    public async Task Nodes_whose_link_names_and_order_differ_still_see_each_other_on_every_link()
    {
        // What broke the first attempt (binding the link's name): a serial link is named after its
        // tty, which differs between nodes. alpha lists the serial link first, beta second.
        var ct = TestContext.Current.CancellationToken;
        var network = new InMemoryNetwork();
        var alphaSpec = ServiceHarness.Spec(
        [
            new SerialLinkSpec("serial-ttyS0", "/dev/ttyS0", 19200),
            new UnicastLinkSpec("ucast-eth1", "eth1", 694, [new LinkEndpoint("10.0.0.2")]),
        ], null);
        var betaSpec = ServiceHarness.Spec(
        [
            new UnicastLinkSpec("ucast-ens4", "ens4", 694, [new LinkEndpoint("10.0.0.1")]),
            new SerialLinkSpec("serial-ttyUSB0", "/dev/ttyUSB0", 19200),
        ], null);
        string Segment(LinkSpec l) => l is SerialLinkSpec ? "serial" : "net";
        var alphaEvents = new RecordingEventSink { Node = "alpha" };
        var betaEvents = new RecordingEventSink { Node = "beta" };
        var alpha = new MembershipService(alphaSpec, "alpha", Path.Combine(_state, "alpha"), alphaEvents, TimeProvider.System, Logs.None,
            new MembershipOptions { LinkFactory = l => network.Attach(Segment(l), "alpha") });
        var beta = new MembershipService(betaSpec, "beta", Path.Combine(_state, "beta"), betaEvents, TimeProvider.System, Logs.None,
            new MembershipOptions { LinkFactory = l => network.Attach(Segment(l), "beta") });
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(ct);
            await beta.StartAsync(ct);
            // (Events name the link as the in-memory segment calls it.)
            await alphaEvents.WaitAsync("link.up", "beta/serial", s_wait);
            await alphaEvents.WaitAsync("link.up", "beta/net", s_wait);
            await betaEvents.WaitAsync("link.up", "alpha/serial", s_wait);
            await betaEvents.WaitAsync("link.up", "alpha/net", s_wait);
            Assert.Equal(0, alpha.Rejects[RejectReason.WrongLink]);
            Assert.Equal(0, beta.Rejects[RejectReason.WrongLink]);
        }
    }
}
