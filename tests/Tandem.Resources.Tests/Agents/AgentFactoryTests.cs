using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class AgentFactoryTests
{
    [Theory]
    [InlineData(AgentClass.Ocf, "Dummy", typeof(OcfAgent))]
    [InlineData(AgentClass.Lsb, "ssh", typeof(LsbAgent))]
    [InlineData(AgentClass.Heartbeat, "apache", typeof(HeartbeatScriptAgent))]
    [InlineData(AgentClass.BuiltIn, "process", typeof(ProcessAgent))]
    [InlineData(AgentClass.BuiltIn, "MailTo", typeof(MailToAgent))]
    [InlineData(AgentClass.BuiltIn, "Filesystem", typeof(FilesystemAgent))]
    [InlineData(AgentClass.BuiltIn, "IPaddr", typeof(IpAddrAgent))]
    [InlineData(AgentClass.BuiltIn, "IPaddr2", typeof(IpAddrAgent))]
    [InlineData(AgentClass.BuiltIn, "drbddisk", typeof(VolumeAgent))]
    [InlineData(AgentClass.BuiltIn, "nonsense", typeof(UnknownAgent))]
    public void Maps_class_and_name_to_agent(AgentClass cls, string agent, Type expected) =>
        Assert.IsType(expected, new AgentFactory().Create(new ResourceSpec(agent, agent) { Class = cls }, new AgentContext("alice", "g1")));

    [Fact]
    public async Task Haresources_line_maps_to_agents()
    {
        await Task.CompletedTask;
        var bag = new Tandem.Config.DiagnosticBag();
        var groups = Tandem.Config.Classic.HaResourcesReader.Parse(
            "alice drbddisk::r0 Filesystem::/dev/loop7::/srv::ext4 192.168.0.10/24/eth0 MailTo::root@localhost\n", "haresources",
            [new NodeSpec("alice"), new NodeSpec("bob")], [], bag);
        var group = Assert.Single(groups);
        var types = group.Resources.Select(r => new AgentFactory().Create(r, new AgentContext("alice", group.Name)).GetType()).ToArray();
        Assert.Equal([typeof(VolumeAgent), typeof(FilesystemAgent), typeof(IpAddrAgent), typeof(MailToAgent)], types);
        var fs = (FilesystemAgent)new AgentFactory().Create(group.Resources[1], new AgentContext("alice", group.Name));
        Assert.Equal(("/dev/loop7", "/srv", "ext4"), (fs.Device, fs.Directory, fs.FsType));
    }
}
