using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tandem.Core.Model;
using Tandem.Membership.Links;
using Tandem.Membership.Wire;
using Xunit;

namespace Tandem.Membership.Tests;

public sealed class MembershipServiceTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly string _state = Directory.CreateTempSubdirectory("tandem-mb-").FullName;

    public void Dispose() => Directory.Delete(_state, true);

    [Fact]
    public async Task Two_nodes_on_loopback_udp_see_each_other_and_a_stopped_node_is_dead_within_deadtime_plus_keepalive()
    {
        var spec = ServiceHarness.LoopbackSpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state);
        var (beta, betaEvents) = ServiceHarness.Node(spec, "beta", _state);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            await betaEvents.WaitAsync("node.active", "alpha", s_wait);
            await alphaEvents.WaitAsync("link.up", "beta/lo-a", s_wait);
            await alphaEvents.WaitAsync("link.up", "beta/lo-b", s_wait);
            Assert.Equal(NodeStatus.Active, alpha.Detector.LocalStatus);

            var status = alpha.GetSnapshot();
            Assert.Equal("active", status.Nodes[0].Status);
            Assert.Equal("up", status.Nodes[0].Links[1].Status);

            var stopped = DateTimeOffset.UtcNow;
            await beta.AbandonAsync(); // a crash: no goodbye
            var limit = spec.Timing.Deadtime + spec.Timing.Keepalive;
            var dead = await alphaEvents.WaitAsync("node.dead", "beta", limit + TimeSpan.FromSeconds(2));
            // When the detector declared it (the event's stamp), not when this test got to run
            // again: on a loaded machine the test's own wake-up would be measured too.
            var elapsed = dead.Time - stopped;
            Assert.True(elapsed <= limit + TimeSpan.FromMilliseconds(50),
                $"beta declared dead {elapsed.TotalMilliseconds:F0} ms after it stopped; limit deadtime + keepalive = {limit.TotalMilliseconds} ms");
            Assert.Empty(betaEvents.OfKind("node.dead"));
            Assert.Empty(alphaEvents.OfKind("membership.stall"));
        }
    }

    [Fact]
    public async Task Junk_forged_and_replayed_packets_are_counted_and_do_not_disturb_the_node()
    {
        var spec = ServiceHarness.LoopbackSpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state);
        var (beta, _) = ServiceHarness.Node(spec, "beta", _state);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);

            var link = (UnicastLinkSpec)spec.Links[0];
            var target = new IPEndPoint(IPAddress.Loopback, link.Endpoints[0].Port!.Value);
            using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var forger = TestCluster.Codec("beta", TestCluster.Auth(secret: "guess"), cluster: "tandem-test");
            var honest = TestCluster.Codec("beta", cluster: "tandem-test");
            var forged = new byte[forger.PacketSize(9)];
            forger.Encode(PacketType.Heartbeat, ulong.MaxValue, 1, new byte[9], forged);
            var old = new byte[honest.PacketSize(9)];
            honest.Encode(PacketType.Heartbeat, 0, 1, new byte[9], old);  // generation 0: older than beta's
            var random = new Random(7);
            for (var i = 0; i < 2000; i++)
            {
                var junk = new byte[random.Next(0, 200)];
                random.NextBytes(junk);
                await attacker.SendToAsync(i % 3 == 0 ? forged : i % 3 == 1 ? old : junk, target);
            }
            var deadline = Stopwatch.StartNew();
            while (alpha.Rejects.Total < 1900 && deadline.Elapsed < s_wait)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
            Assert.True(alpha.Rejects[RejectReason.BadMac] > 0, "no bad-mac rejection counted");
            Assert.True(alpha.Rejects[RejectReason.OlderGeneration] > 0, "no older-generation rejection counted");
            Assert.True(alpha.Rejects[RejectReason.BadMagic] + alpha.Rejects[RejectReason.Truncated] > 0, "no junk rejection counted");
            var rejected = alpha.GetSnapshot().Rejected;
            Assert.True(rejected.ContainsKey("bad-mac"));
            Assert.Equal(NodeStatus.Active, alpha.Detector.StatusOf("beta"));
            Assert.Empty(alphaEvents.OfKind("node.dead"));
        }
    }

    [Fact]
    public async Task One_link_down_gives_link_dead_and_no_node_death_and_all_links_down_kills_the_node()
    {
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.InMemorySpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state, network);
        var (beta, _) = ServiceHarness.Node(spec, "beta", _state, network);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);

            network.SetDown("net2", true);
            var linkDead = await alphaEvents.WaitAsync("link.dead", "beta/net2", s_wait);
            // Several deadtimes more on one link: the node stays.
            var mark = linkDead.Sequence;
            await Task.Delay(spec.Timing.Deadtime * 3, TestContext.Current.CancellationToken);
            Assert.Empty(alphaEvents.OfKind("node.dead"));
            Assert.DoesNotContain(alphaEvents.OfKind("link.dead"), e => e.Subject == "beta/net1");

            network.SetDown("net2", false);
            await alphaEvents.WaitAsync("link.up", "beta/net2", s_wait, after: mark);

            var cut = DateTimeOffset.UtcNow;
            network.SetDown("net1", true);
            network.SetDown("net2", true);
            var dead = await alphaEvents.WaitAsync("node.dead", "beta", s_wait);
            var elapsed = dead.Time - cut; // the detector's stamp, not this test's wake-up
            Assert.True(elapsed <= spec.Timing.Deadtime + spec.Timing.Keepalive + TimeSpan.FromMilliseconds(50),
                $"dead after {elapsed.TotalMilliseconds:F0} ms");

            network.SetDown("net1", false);
            var back = await alphaEvents.WaitAsync("node.up", "beta", s_wait, after: mark);
            Assert.Contains("partition", back.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Thirty_percent_loss_on_one_link_and_ten_on_the_other_gives_no_false_death()
    {
        var network = new InMemoryNetwork(seed: 42);
        var spec = ServiceHarness.InMemorySpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state, network);
        var (beta, betaEvents) = ServiceHarness.Node(spec, "beta", _state, network);
        await using (alpha)
        await using (beta)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.active", "beta", s_wait);
            network.SetLoss("net1", 0.3);
            network.SetLoss("net2", 0.1);
            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
            Assert.Empty(alphaEvents.OfKind("node.dead"));
            Assert.Empty(betaEvents.OfKind("node.dead"));
        }
    }

    [Fact]
    public async Task A_restarted_node_comes_back_with_a_higher_generation()
    {
        var network = new InMemoryNetwork();
        var spec = ServiceHarness.InMemorySpec();
        var (alpha, alphaEvents) = ServiceHarness.Node(spec, "alpha", _state, network);
        await using (alpha)
        {
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            var (beta1, _) = ServiceHarness.Node(spec, "beta", _state, network);
            await beta1.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("node.up", "beta", s_wait);
            var g1 = beta1.Generation;
            await beta1.DisposeAsync();
            var dead = await alphaEvents.WaitAsync("node.left", "beta", s_wait);
            Assert.Empty(alphaEvents.OfKind("node.dead"));

            var (beta2, _) = ServiceHarness.Node(spec, "beta", _state, network);
            await using (beta2)
            {
                await beta2.StartAsync(TestContext.Current.CancellationToken);
                Assert.Equal(g1 + 1, beta2.Generation);
                var back = await alphaEvents.WaitAsync("node.up", "beta", s_wait, after: dead.Sequence);
                Assert.Contains("restarted", back.Reason, StringComparison.Ordinal);
            }
        }
    }
}
