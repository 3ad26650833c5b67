using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Model;
using Tandem.Membership.Links;
using Tandem.Membership.Ping;
using Xunit;

namespace Tandem.Membership.Tests.Ping;

/// <summary>A probe whose answers the test sets.</summary>
internal sealed class ScriptedProbe : IConnectivityProbe
{
    private readonly HashSet<IPAddress> _answering = [];

    public ScriptedProbe(params string[] answering) => Set(answering);

    public void Set(params string[] answering)
    {
        lock (_answering)
        {
            _answering.Clear();
            _answering.UnionWith(answering.Select(IPAddress.Parse));
        }
    }

    public Task<bool> ProbeAsync(IPAddress address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_answering)
        {
            return Task.FromResult(_answering.Contains(address));
        }
    }
}

public sealed class PingTests
{
    private static readonly TimingSpec s_timing = new()
    {
        Keepalive = TimeSpan.FromMilliseconds(100),
        Deadtime = TimeSpan.FromMilliseconds(500),
        Warntime = TimeSpan.FromMilliseconds(250),
        Initdead = TimeSpan.FromMilliseconds(1000),
        Deadping = TimeSpan.FromMilliseconds(500),
    };

    [Fact]
    public async Task Icmp_echo_to_loopback_answers()
    {
        Assert.True(await new IcmpProbe().ProbeAsync(IPAddress.Loopback, TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken),
            "no ICMP echo reply from 127.0.0.1");
    }

    [Fact]
    public async Task Tcp_probe_counts_a_refusal_and_an_accept_as_reachable()
    {
        var probe = new TcpConnectProbe(ServiceHarness.FreeUdpPort()); // nothing listens on TCP there, most likely
        Assert.True(await probe.ProbeAsync(IPAddress.Loopback, TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var open = new TcpConnectProbe(((IPEndPoint)listener.LocalEndpoint).Port);
        Assert.True(await open.ProbeAsync(IPAddress.Loopback, TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Ping_nodes_and_groups_go_up_and_die_after_deadping()
    {
        var time = new FakeTimeProvider();
        var events = new RecordingEventSink(time);
        var probe = new ScriptedProbe("127.0.0.10", "127.0.0.21");
        await using var monitor = new PingMonitor(
            [new PingSpec("127.0.0.10", ["127.0.0.10"], false), new PingSpec("gw", ["127.0.0.20", "127.0.0.21"], true)],
            probe, s_timing, events, time, NullLogger.Instance);
        monitor.Start();
        await monitor.ProbeOnceAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, monitor.Reachable);
        Assert.Equal(2, events.OfKind("ping.up").Count());

        probe.Set("127.0.0.20"); // the single node stops answering; the group still has a member
        for (var t = 0; t < 400; t += 100)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await monitor.ProbeOnceAsync(TestContext.Current.CancellationToken);
        }
        Assert.Empty(events.OfKind("ping.dead"));
        time.Advance(TimeSpan.FromMilliseconds(100));
        await monitor.ProbeOnceAsync(TestContext.Current.CancellationToken);
        Assert.Equal("127.0.0.10", Assert.Single(events.OfKind("ping.dead")).Subject);
        Assert.Equal(1, monitor.Reachable);
    }

    [Theory]
    [InlineData(0, 1, 1, IpFailDecision.GiveUp)]
    [InlineData(1, 1, 1, IpFailDecision.Keep)]
    [InlineData(2, 1, 2, IpFailDecision.Keep)]
    [InlineData(1, null, 2, IpFailDecision.Unknown)]
    [InlineData(0, 0, 0, IpFailDecision.Unknown)]
    public void The_node_that_reaches_fewer_ping_nodes_gives_up(int local, int? peer, int total, IpFailDecision expected) =>
        Assert.Equal(expected, PingMonitor.Decide(local, peer, total));

    [Fact]
    public async Task Peers_compare_scores_and_the_weaker_one_is_told_to_give_up()
    {
        var state = Directory.CreateTempSubdirectory("tandem-ping-").FullName;
        try
        {
            var network = new InMemoryNetwork();
            var spec = ServiceHarness.InMemorySpec(s_timing) with
            {
                Ping = [new PingSpec("127.0.0.10", ["127.0.0.10"], false), new PingSpec("127.0.0.11", ["127.0.0.11"], false)],
            };
            var alphaProbe = new ScriptedProbe("127.0.0.10", "127.0.0.11");
            var betaProbe = new ScriptedProbe("127.0.0.10", "127.0.0.11");
            var alphaEvents = new RecordingEventSink { Node = "alpha" };
            var betaEvents = new RecordingEventSink { Node = "beta" };
            await using var alpha = new MembershipService(spec, "alpha", Path.Combine(state, "a"), alphaEvents, TimeProvider.System, Logs.None,
                new MembershipOptions { LinkFactory = l => network.Attach(l.Name, "alpha"), PingProbe = alphaProbe });
            await using var beta = new MembershipService(spec, "beta", Path.Combine(state, "b"), betaEvents, TimeProvider.System, Logs.None,
                new MembershipOptions { LinkFactory = l => network.Attach(l.Name, "beta"), PingProbe = betaProbe });
            await alpha.StartAsync(TestContext.Current.CancellationToken);
            await beta.StartAsync(TestContext.Current.CancellationToken);
            await alphaEvents.WaitAsync("ipfail.keep", "alpha", TimeSpan.FromSeconds(10));
            await betaEvents.WaitAsync("ipfail.keep", "beta", TimeSpan.FromSeconds(10));

            betaProbe.Set("127.0.0.10"); // beta loses its route to one ping node
            await betaEvents.WaitAsync("ping.dead", "127.0.0.11", TimeSpan.FromSeconds(10));
            var giveUp = await betaEvents.WaitAsync("ipfail.giveup", "beta", TimeSpan.FromSeconds(10));
            Assert.Equal("1", giveUp.Data!["local"]);
            Assert.Equal("2", giveUp.Data!["peer"]);
            Assert.Equal(IpFailDecision.GiveUp, beta.IpFail);
            Assert.Equal(IpFailDecision.Keep, alpha.IpFail);
            var connectivity = beta.GetSnapshot().Connectivity;
            Assert.Equal(1, connectivity.Score);
            Assert.Equal("give-up", connectivity.Ipfail);
            Assert.Equal(2, connectivity.Peers["alpha"]);
        }
        finally
        {
            Directory.Delete(state, true);
        }
    }
}
