using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Core.Model;
using Tandem.Membership.Links;
using Xunit;

namespace Tandem.Membership.Tests.Netns;

/// <summary>
/// Real UDP links between two network namespaces with two veth links, as root: link faults by
/// taking interfaces down, packet loss with iptables on the receiver's INPUT.
/// </summary>
public sealed class NamespaceLinkTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly string _state = Directory.CreateTempSubdirectory("tandem-ns-").FullName;
    private NetworkNamespacePair? _ns;

    public void Dispose()
    {
        _ns?.Dispose();
        Directory.Delete(_state, true);
    }

    private NetworkNamespacePair Namespaces()
    {
        if (NetworkNamespacePair.WhyUnavailable() is { } why)
        {
            Assert.Skip(why);
        }
        return _ns = NetworkNamespacePair.Create();
    }

    private static ClusterSpec UnicastSpec() => ServiceHarness.Spec(
    [
        // Classic form: addresses without node names; each node ignores its own.
        new UnicastLinkSpec("net1", "eth1", 694, [new LinkEndpoint("10.201.1.1"), new LinkEndpoint("10.201.1.2")]),
        new UnicastLinkSpec("net2", "eth2", 694, [new LinkEndpoint("10.201.2.1"), new LinkEndpoint("10.201.2.2")]),
    ]);

    private (MembershipService Service, RecordingEventSink Events) Node(ClusterSpec spec, string node, string ns)
    {
        var events = new RecordingEventSink { Node = node };
        var options = new MembershipOptions
        {
            LinkFactory = l => NetworkNamespacePair.InNamespace(ns, () => LinkFactory.Open(l, node, NullLoggerFactory.Instance)),
        };
        return (new MembershipService(spec, node, Path.Combine(_state, node), events, TimeProvider.System, Logs.None, options), events);
    }

    [Fact]
    public async Task Link_down_is_a_link_death_all_down_is_a_node_death_and_links_back_recover()
    {
        var ns = Namespaces();
        var spec = UnicastSpec();
        var (alpha, alphaEvents) = Node(spec, "alpha", ns.Alpha);
        var (beta, betaEvents) = Node(spec, "beta", ns.Beta);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("link.up", "beta/net1", s_wait);
            await alphaEvents.WaitAsync("link.up", "beta/net2", s_wait);
            await betaEvents.WaitAsync("node.active", "alpha", s_wait);

            // One link down: a link death on both sides, no node death.
            NetworkNamespacePair.Ip($"-n {ns.Alpha} link set eth2 down");
            var linkDead = await alphaEvents.WaitAsync("link.dead", "beta/net2", s_wait);
            await betaEvents.WaitAsync("link.dead", "alpha/net2", s_wait);
            await Task.Delay(spec.Timing.Deadtime * 3, TestContext.Current.CancellationToken);
            Assert.Empty(alphaEvents.OfKind("node.dead"));
            Assert.Empty(betaEvents.OfKind("node.dead"));

            NetworkNamespacePair.Ip($"-n {ns.Alpha} link set eth2 up");
            await alphaEvents.WaitAsync("link.up", "beta/net2", s_wait, after: linkDead.Sequence);

            // Every link down: the node is dead within deadtime + one keepalive.
            var cut = DateTimeOffset.UtcNow;
            NetworkNamespacePair.Ip($"-n {ns.Alpha} link set eth1 down");
            NetworkNamespacePair.Ip($"-n {ns.Alpha} link set eth2 down");
            var commands = DateTimeOffset.UtcNow - cut;
            var deadBeta = await alphaEvents.WaitAsync("node.dead", "beta", s_wait);
            var limit = spec.Timing.Deadtime + spec.Timing.Keepalive;
            var elapsed = deadBeta.Time - cut; // the detector's stamp, not this test's wake-up
            Assert.True(elapsed <= limit + commands + TimeSpan.FromMilliseconds(50),
                $"beta declared dead {elapsed.TotalMilliseconds:F0} ms after the links went down ({commands.TotalMilliseconds:F0} ms for ip); limit {limit.TotalMilliseconds} ms");
            var dead = await betaEvents.WaitAsync("node.dead", "alpha", s_wait);

            // Links back: both recover (same generation: a partition healed).
            NetworkNamespacePair.Ip($"-n {ns.Alpha} link set eth1 up");
            NetworkNamespacePair.Ip($"-n {ns.Alpha} link set eth2 up");
            var back = await betaEvents.WaitAsync("node.up", "alpha", s_wait, after: dead.Sequence);
            Assert.Contains("partition", back.Reason, StringComparison.Ordinal);
            await alphaEvents.WaitAsync("node.up", "beta", s_wait, after: linkDead.Sequence);
        }
    }

    [Fact]
    public async Task Thirty_percent_loss_on_one_link_gives_no_false_death()
    {
        var ns = Namespaces();
        var spec = UnicastSpec();
        var (alpha, alphaEvents) = Node(spec, "alpha", ns.Alpha);
        var (beta, betaEvents) = Node(spec, "beta", ns.Beta);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            await betaEvents.WaitAsync("node.active", "alpha", s_wait);
            foreach (var n in new[] { ns.Alpha, ns.Beta })
            {
                NetworkNamespacePair.Run("ip", $"netns exec {n} iptables -A INPUT -i eth1 -p udp -m statistic --mode random --probability 0.3 -j DROP");
            }
            await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            Assert.Empty(alphaEvents.OfKind("node.dead"));
            Assert.Empty(betaEvents.OfKind("node.dead"));
            // The lossy link may flap now and then (five heartbeats in a row lost); the clean one never does.
            Assert.DoesNotContain(alphaEvents.OfKind("link.dead"), e => e.Subject == "beta/net2");
            var status = alpha.GetSnapshot();
            Assert.Equal("active", status.Nodes[0].Status);
        }
    }

    [Fact]
    public async Task Broadcast_and_multicast_links_carry_heartbeats()
    {
        var ns = Namespaces();
        var spec = ServiceHarness.Spec(
        [
            new BroadcastLinkSpec("bcast1", "eth1", 694),
            new MulticastLinkSpec("mcast2", "eth2", "239.192.0.1", 1694, 1, false),
        ]);
        // Multicast needs a route for the group on the interface inside each namespace.
        foreach (var n in new[] { ns.Alpha, ns.Beta })
        {
            NetworkNamespacePair.Ip($"-n {n} route add 239.192.0.0/16 dev eth2");
        }
        var (alpha, alphaEvents) = Node(spec, "alpha", ns.Alpha);
        var (beta, betaEvents) = Node(spec, "beta", ns.Beta);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("link.up", "beta/bcast1", s_wait);
            await alphaEvents.WaitAsync("link.up", "beta/mcast2", s_wait);
            await betaEvents.WaitAsync("link.up", "alpha/bcast1", s_wait);
            await betaEvents.WaitAsync("link.up", "alpha/mcast2", s_wait);

            NetworkNamespacePair.Ip($"-n {ns.Beta} link set eth1 down");
            await alphaEvents.WaitAsync("link.dead", "beta/bcast1", s_wait);
            await Task.Delay(spec.Timing.Deadtime * 2, TestContext.Current.CancellationToken);
            Assert.Empty(alphaEvents.OfKind("node.dead"));
        }
    }
}
