using System.Net;
using Tandem.Lab.Network;
using Tandem.Lab.Placement;
using Xunit;

namespace Tandem.Lab.Tests.Network;

public sealed class LoopbackSubnetTests
{
    [Fact]
    public void The_addresses_are_consecutive_loopback_ones_and_the_ports_distinct()
    {
        var subnet = LoopbackSubnet.Pick(3, tcpPorts: 2, udpPorts: 2);

        Assert.Equal(3, subnet.Addresses.Count);
        Assert.All(subnet.Addresses, a => Assert.True(IPAddress.IsLoopback(IPAddress.Parse(a)), a));
        Assert.Equal(subnet.Addresses.Select((_, i) => $"{subnet.Addresses[0][..subnet.Addresses[0].LastIndexOf('.')]}.{i + 1}"), subnet.Addresses);
        Assert.Equal(2, subnet.TcpPorts.Distinct().Count());
        Assert.Equal(2, subnet.UdpPorts.Distinct().Count());
    }

    [Fact]
    public void A_namespace_placement_runs_the_command_through_ip_netns_exec_and_loopback_runs_it_as_is()
    {
        Assert.Equal(["tandem", "status"], LoopbackPlacement.Instance.Wrap(["tandem", "status"]));
        if (NetworkNamespace.UnavailableReason() is { } why)
        {
            Assert.Skip(why);
        }
        using var ns = NetworkNamespace.Create("tandem-lab-test");
        var placement = new NamespacePlacement(ns);

        Assert.Equal(["ip", "netns", "exec", ns.Name, "tandem", "status"], placement.Wrap(["tandem", "status"]));
        Assert.Contains(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), ns.Name, StringComparison.Ordinal);
        Assert.True(File.Exists("/run/netns/" + ns.Name));
        ns.Dispose();
        Assert.False(File.Exists("/run/netns/" + ns.Name));
    }
}
