using Tandem.Config.Tests.Classic;
using Tandem.Core.Model;
using Xunit;

namespace Tandem.Config.Tests;

/// <summary>The whole classic configuration of the seed, read through the loader, and the cross-file rules.</summary>
public sealed class ConfigLoaderTests : IDisposable
{
    private readonly HaDirectory _dir = HaDirectory.Seed();

    public ConfigLoaderTests() =>
        File.Copy(Path.Combine(ClassicTestFiles.CorpusDirectory, "..", "drbd", "valid", "seed-drbd.conf"), _dir.File("drbd.conf"));

    public void Dispose() => _dir.Dispose();

    private ConfigOptions Options(string? node = null) => _dir.Options() with { DrbdConf = _dir.File("drbd.conf"), LocalNode = node };

    private static string Dump(ConfigResult r) => string.Join("\n", r.Diagnostics);

    [Fact]
    public void Seed_cluster_loads_with_every_part()
    {
        var result = ConfigLoader.Load(Options("ovz-node1"));

        Assert.True(result.IsValid, Dump(result));
        var spec = result.Spec!;
        Assert.Equal(["ovz-node1", "ovz-node2"], spec.Nodes.Select(n => n.Name));
        var r0 = Assert.Single(spec.Replicated);
        Assert.Equal("r0", r0.Name);
        Assert.Equal(ReplicationProtocol.C, r0.Protocol);
        var group = Assert.Single(spec.Groups);
        Assert.Equal("ovz-node1", group.PreferredNode);
        Assert.Equal(["drbddisk", "Filesystem", "vz", "MailTo"], group.Resources.Select(r => r.Agent));
        Assert.Equal(FailbackMode.Off, spec.AutoFailback);
        Assert.Contains(spec.Sources, s => s.EndsWith("drbd.conf", StringComparison.Ordinal));
        Assert.Contains(spec.Sources, s => s.EndsWith("ha.cf", StringComparison.Ordinal));
    }

    [Fact]
    public void Errors_come_before_warnings_and_notes()
    {
        _dir.Mode("authkeys", ClassicTestFiles.Mode644);

        var result = ConfigLoader.Load(Options());

        Assert.False(result.IsValid);
        Assert.Null(result.Spec);
        Assert.Equal(Severity.Error, result.Diagnostics[0].Severity);
        Assert.Contains("600 recommended", result.Diagnostics[0].Message, StringComparison.Ordinal);
        var severities = result.Diagnostics.Select(d => d.Severity).ToList();
        Assert.Equal(severities.Order().ToList(), severities);
    }

    [Fact]
    public void A_local_node_that_is_not_a_member_is_refused()
    {
        var result = ConfigLoader.Load(Options("ovz-node3"));

        var error = Assert.Single(result.Diagnostics, d => d.Code == "CFG001");
        Assert.Contains("ovz-node3", error.Message, StringComparison.Ordinal);
        Assert.Contains("ovz-node1, ovz-node2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Local_node_names_compare_case_insensitively_as_in_heartbeat()
    {
        var result = ConfigLoader.Load(Options("OVZ-NODE2"));

        Assert.True(result.IsValid, Dump(result));
    }

    [Fact]
    public void A_group_naming_an_undefined_replicated_resource_is_refused()
    {
        File.WriteAllText(_dir.File("haresources"), "ovz-node1 drbddisk::r9 Filesystem::/dev/drbd0::/vz::ext3\n");

        var result = ConfigLoader.Load(Options());

        var error = Assert.Single(result.Diagnostics, d => d.Code == "CFG003");
        Assert.Contains("'r9'", error.Message, StringComparison.Ordinal);
        Assert.Contains("r0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drbd_host_that_is_not_a_node_is_refused()
    {
        var conf = File.ReadAllText(_dir.File("drbd.conf")).Replace("on ovz-node2", "on ovz-node9", StringComparison.Ordinal);
        File.WriteAllText(_dir.File("drbd.conf"), conf);

        var result = ConfigLoader.Load(Options());

        var error = Assert.Single(result.Diagnostics, d => d.Code == "CFG004");
        Assert.Contains("ovz-node9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_replicated_resource_in_no_group_is_warned_about()
    {
        File.WriteAllText(_dir.File("haresources"), "ovz-node1 vz\n");

        var result = ConfigLoader.Load(Options());

        Assert.True(result.IsValid, Dump(result));
        var warning = Assert.Single(result.Diagnostics, d => d.Code == "CFG005");
        Assert.Equal(Severity.Warning, warning.Severity);
    }

    [Fact]
    public void A_missing_drbd_conf_named_explicitly_is_an_error_naming_the_path()
    {
        var missing = _dir.File("no-such-drbd.conf");

        var result = ConfigLoader.Load(_dir.Options() with { DrbdConf = missing });

        Assert.False(result.IsValid);
        Assert.Contains(result.Diagnostics, d => d.Severity == Severity.Error && d.File == missing);
    }
}
