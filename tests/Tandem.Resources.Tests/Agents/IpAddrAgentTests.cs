using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class IpAddrAgentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("IPaddr")]
    [InlineData("IPaddr2")]
    public async Task Adds_and_removes_an_address_inside_a_namespace(string name)
    {
        if (!Sh.IsRoot)
        {
            Assert.Skip("needs root (network namespaces)");
        }
        var ns = "tandem-res-" + Guid.NewGuid().ToString("N")[..8];
        Sh.Must("ip", "netns", "add", ns);
        try
        {
            Sh.Must("ip", "-n", ns, "link", "add", "tv0", "type", "veth", "peer", "name", "tv1");
            Sh.Must("ip", "-n", ns, "link", "set", "tv0", "up");
            Sh.Must("ip", "-n", ns, "link", "set", "tv1", "up");
            var spec = new ResourceSpec(name, name)
            {
                Class = AgentClass.BuiltIn,
                Parameters = new Dictionary<string, string> { ["ip"] = "10.213.0.5", ["cidr_netmask"] = "24", ["nic"] = "tv0", ["netns"] = ns },
            };
            var agent = new AgentFactory().Create(spec, new AgentContext("alice", "g1"));
            Assert.IsType<IpAddrAgent>(agent);
            Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
            var start = await agent.StartAsync(Ct);
            Assert.Equal(AgentCode.Success, start.Code);
            Assert.Contains("10.213.0.5/24", Sh.Must("ip", "-n", ns, "-o", "addr", "show", "dev", "tv0"), StringComparison.Ordinal);
            Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);
            Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
            Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
            Assert.DoesNotContain("10.213.0.5", Sh.Must("ip", "-n", ns, "-o", "addr", "show"), StringComparison.Ordinal);
            Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
            Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        }
        finally
        {
            Sh.Run("ip", "netns", "del", ns);
        }
    }

    [Fact]
    public async Task Without_an_address_it_is_not_configured()
    {
        var agent = new IpAddrAgent(new ResourceSpec("IPaddr", "IPaddr"), new AgentContext("alice", "g1"));
        Assert.Equal(AgentCode.NotConfigured, (await agent.ValidateAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotConfigured, (await agent.StartAsync(Ct)).Code);
    }
}
