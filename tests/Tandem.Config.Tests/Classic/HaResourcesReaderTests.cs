using Tandem.Config.Classic;
using Tandem.Core.Model;
using Xunit;
using static Tandem.Config.Tests.Classic.ClassicTestFiles;

namespace Tandem.Config.Tests.Classic;

public sealed class HaResourcesReaderTests
{
    private static (IReadOnlyList<GroupSpec> Groups, DiagnosticBag Bag) Parse(string text, IReadOnlyList<string>? dirs = null)
    {
        var bag = new DiagnosticBag();
        return (HaResourcesReader.Parse(text, "haresources", SeedNodes, dirs ?? [], bag), bag);
    }

    [Fact]
    public void Seed_line_reads_into_one_group()
    {
        using var dir = new HaDirectory();
        var vz = dir.Script(dir.InitDirectory, "vz");
        var (groups, bag) = Parse(File.ReadAllText(Path.Combine(SeedDirectory, "haresources")), [dir.ScriptDirectory, dir.InitDirectory]);
        Assert.Empty(bag.Items);
        var g = Assert.Single(groups);
        Assert.Equal(("drbddisk::r0", "ovz-node1"), (g.Name, g.PreferredNode));
        Assert.Equal(["drbddisk", "Filesystem", "vz", "MailTo"], g.Resources.Select(r => r.Id));
        Assert.Equal([AgentClass.BuiltIn, AgentClass.BuiltIn, AgentClass.Heartbeat, AgentClass.BuiltIn], g.Resources.Select(r => r.Class));
        Assert.Equal(["r0"], g.Resources[0].Arguments);
        Assert.Equal(["/dev/drbd0", "/vz", "ext3"], g.Resources[1].Arguments);
        Assert.Equal(vz, g.Resources[2].Parameters["path"]);
        Assert.Empty(g.Resources[2].Arguments);
        Assert.Equal(["youremail@yourdomain.tld"], g.Resources[3].Arguments);
    }

    [Fact]
    public void Scripts_are_looked_up_in_resource_d_first_then_init_d()
    {
        using var dir = new HaDirectory();
        var inResourceD = dir.Script(dir.ScriptDirectory, "both");
        dir.Script(dir.InitDirectory, "both");
        var inInitD = dir.Script(dir.InitDirectory, "initonly");
        dir.Script(dir.ScriptDirectory, "notexec", executable: false);
        var (groups, bag) = Parse("ovz-node1 both initonly notexec::x\n", [dir.ScriptDirectory, dir.InitDirectory]);
        var r = Assert.Single(groups).Resources;
        Assert.Equal(inResourceD, r[0].Parameters["path"]);
        Assert.Equal(inInitD, r[1].Parameters["path"]);
        Assert.False(r[2].Parameters.ContainsKey("path"));
        var w = bag.Single("HARES011");
        Assert.Equal((Severity.Warning, 1, 25), (w.Severity, w.Line, w.Column));
        Assert.Contains(dir.ScriptDirectory, w.Message, StringComparison.Ordinal);
        Assert.Contains(dir.InitDirectory, w.Message, StringComparison.Ordinal);
        Assert.Contains("not executable", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Continuations_comments_and_case_insensitive_nodes()
    {
        var (groups, bag) = Parse("# group one\nOVZ-NODE2 10.0.0.50 \\\n   drbddisk::r1 \\ # the disk\n  Filesystem::/dev/drbd1::/srv\novz-node1 IPaddr2::10.0.0.51/24/eth0/10.0.0.255\n");
        bag.NoErrors();
        Assert.Equal(2, groups.Count);
        Assert.Equal(("10.0.0.50", "ovz-node2"), (groups[0].Name, groups[0].PreferredNode));
        Assert.Equal(["IPaddr", "drbddisk", "Filesystem"], groups[0].Resources.Select(r => r.Agent));
        Assert.Equal("10.0.0.50", groups[0].Resources[0].Parameters["ip"]);
        Assert.Equal(["10.0.0.50"], groups[0].Resources[0].Arguments);
        var ip2 = groups[1].Resources[0];
        Assert.Equal(("IPaddr2", AgentClass.BuiltIn), (ip2.Agent, ip2.Class));
        Assert.Equal("24", ip2.Parameters["cidr_netmask"]);
        Assert.Equal("eth0", ip2.Parameters["nic"]);
        Assert.Equal("10.0.0.255", ip2.Parameters["broadcast"]);
    }

    [Theory]
    [InlineData("10.0.0.5", "10.0.0.5", null, null, null)]
    [InlineData("10.0.0.5/16", "10.0.0.5", "16", null, null)]
    [InlineData("10.0.0.5/255.255.255.0", "10.0.0.5", "24", null, null)]
    [InlineData("10.0.0.5/24/eth1", "10.0.0.5", "24", "eth1", null)]
    [InlineData("10.0.0.5/24/10.0.0.255", "10.0.0.5", "24", null, "10.0.0.255")]
    [InlineData("10.0.0.5/24/eth0:1/10.0.0.255", "10.0.0.5", "24", "eth0:1", "10.0.0.255")]
    public void Ip_forms_are_read(string text, string ip, string? cidr, string? nic, string? broadcast)
    {
        var (groups, bag) = Parse($"ovz-node1 {text}\n");
        bag.NoErrors();
        var p = Assert.Single(Assert.Single(groups).Resources).Parameters;
        Assert.Equal(ip, p["ip"]);
        Assert.Equal(cidr, p.GetValueOrDefault("cidr_netmask"));
        Assert.Equal(nic, p.GetValueOrDefault("nic"));
        Assert.Equal(broadcast, p.GetValueOrDefault("broadcast"));
    }

    [Theory]
    [InlineData("ovz-node3 drbddisk::r0", "HARES006")]
    [InlineData("ovz/node1 drbddisk::r0", "HARES007")]
    [InlineData("ovz-node1 ::r0", "HARES008")]
    [InlineData("ovz-node1 ../../bin/sh", "HARES008")]
    [InlineData("ovz-node1 Filesystem::/dev/drbd0", "HARES013")]
    [InlineData("ovz-node1 MailTo", "HARES013")]
    [InlineData("ovz-node1 IPaddr", "HARES009")]
    public void Broken_lines_are_errors(string line, string code)
    {
        var (groups, bag) = Parse("# first\n" + line + "\n");
        Assert.Empty(groups);
        var d = bag.Single(code);
        Assert.Equal((Severity.Error, 2), (d.Severity, d.Line));
        Assert.False(string.IsNullOrEmpty(d.Hint));
    }

    [Theory]
    [InlineData("ovz-node1 10.0.0.256", "HARES009")]
    [InlineData("ovz-node1 10.0.0", "HARES009")]
    [InlineData("ovz-node1 10.0.0.5/33", "HARES009")]
    [InlineData("ovz-node1 10.0.0.5/0", "HARES009")]
    [InlineData("ovz-node1 10.0.0.5/255.0.255.0", "HARES009")]
    [InlineData("ovz-node1 10.0.0.5/24/eth0/10.0.0", "HARES009")]
    [InlineData("ovz-node1 10.0.0.5/24/eth0/10.0.0.255/x", "HARES009")]
    [InlineData("ovz-node1 IPaddr::bad", "HARES009")]
    [InlineData("ovz-node1", "HARES005")]
    public void Lines_Heartbeat_starts_with_are_warnings(string line, string code)
    {
        var bag = new DiagnosticBag();
        HaResourcesReader.Parse("ovz-node2 drbddisk::r0\n" + line + "\n", "haresources", ClassicTestFiles.SeedNodes, [], bag);
        bag.NoErrors();
        var d = bag.Single(code);
        Assert.Equal((Severity.Warning, 2), (d.Severity, d.Line));
    }

    [Fact]
    public void Unknown_node_suggests_the_closest()
    {
        var (_, bag) = Parse("ovz-nod1 drbddisk::r0\n");
        Assert.Equal("did you mean 'ovz-node1'?", bag.Single("HARES006").Hint);
    }

    [Fact]
    public void Group_keys_are_unique()
    {
        var (groups, bag) = Parse("ovz-node1 drbddisk::r0 vz\novz-node2 drbddisk::r0 other\n");
        Assert.Single(groups);
        var d = bag.Single("HARES010");
        Assert.Equal((2, 11), (d.Line, d.Column));
        Assert.Contains("line 1", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_agents_get_numbered_ids()
    {
        var (groups, _) = Parse("ovz-node1 10.0.0.1 10.0.0.2 IPaddr::10.0.0.3 MailTo::a MailTo::b\n");
        Assert.Equal(["IPaddr", "IPaddr-2", "IPaddr-3", "MailTo", "MailTo-2"], Assert.Single(groups).Resources.Select(r => r.Id));
    }

    [Fact]
    public void Empty_arguments_are_dropped_with_a_warning()
    {
        var (groups, bag) = Parse("ovz-node1 Filesystem::/dev/drbd0::::/vz::\n");
        Assert.Equal(["/dev/drbd0", "/vz"], Assert.Single(Assert.Single(groups).Resources).Arguments);
        Assert.Equal(Severity.Warning, bag.Items.First(d => d.Code == "HARES012").Severity);
    }

    [Fact]
    public void A_trailing_backslash_at_end_of_file_warns()
    {
        var (groups, bag) = Parse("ovz-node1 drbddisk::r0 \\");
        Assert.Single(groups);
        Assert.Equal(Severity.Warning, bag.Single("HARES014").Severity);
    }

    [Fact]
    public void Without_nodes_the_preferred_node_is_not_checked()
    {
        var bag = new DiagnosticBag();
        var groups = HaResourcesReader.Parse("anyone drbddisk::r0\n", "haresources", [], [], bag);
        bag.NoErrors();
        Assert.Equal("anyone", Assert.Single(groups).PreferredNode);
    }
}
