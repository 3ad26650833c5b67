using System.Net;
using System.Net.Sockets;
using Tandem.Core.Model;
using Tandem.Membership.Links;

namespace Tandem.Membership.Tests;

/// <summary>Builds clusters of <see cref="MembershipService"/> instances in one process.</summary>
internal static class ServiceHarness
{
    public static TimingSpec FastTiming { get; } = new()
    {
        Keepalive = TimeSpan.FromMilliseconds(100),
        Warntime = TimeSpan.FromMilliseconds(300),
        Deadtime = TimeSpan.FromMilliseconds(500),
        Initdead = TimeSpan.FromMilliseconds(3000),
    };

    public static int FreeUdpPort(string address = "127.0.0.1")
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public static ClusterSpec Spec(IReadOnlyList<LinkSpec> links, TimingSpec? timing = null, AuthSpec? auth = null) => new()
    {
        Name = "tandem-test",
        Nodes = [new NodeSpec("alpha"), new NodeSpec("beta")],
        Timing = timing ?? FastTiming,
        Links = links,
        Auth = auth ?? TestCluster.Auth(),
    };

    /// <summary>Two unicast links on loopback, each node on its own address and port.</summary>
    public static ClusterSpec LoopbackSpec(TimingSpec? timing = null) => Spec(
    [
        new UnicastLinkSpec("lo-a", null, 0,
            [new LinkEndpoint("127.0.0.1", FreeUdpPort(), "alpha"), new LinkEndpoint("127.0.0.1", FreeUdpPort(), "beta")]),
        new UnicastLinkSpec("lo-b", null, 0,
            [new LinkEndpoint("127.0.0.2", FreeUdpPort("127.0.0.2"), "alpha"), new LinkEndpoint("127.0.0.3", FreeUdpPort("127.0.0.3"), "beta")]),
    ], timing);

    public static ClusterSpec InMemorySpec(TimingSpec? timing = null) => Spec(
    [
        new UnicastLinkSpec("net1", null, 694, []),
        new UnicastLinkSpec("net2", null, 694, []),
    ], timing);

    public static (MembershipService Service, RecordingEventSink Events) Node(
        ClusterSpec spec, string node, string stateRoot, InMemoryNetwork? network = null, TimeProvider? time = null)
    {
        var events = new RecordingEventSink(time) { Node = node };
        var options = network is null ? null : new MembershipOptions { LinkFactory = l => network.Attach(l.Name, node) };
        var service = new MembershipService(spec, node, Path.Combine(stateRoot, node), events, time ?? TimeProvider.System, Logs.None, options);
        return (service, events);
    }
}
