using Tandem.Config.Classic;
using Tandem.Core.Model;
using Xunit;
using static Tandem.Config.Tests.Classic.ClassicTestFiles;

namespace Tandem.Config.Tests.Classic;

public sealed class HeartbeatReaderTests
{
    [Fact]
    public void The_seed_cluster_reads_without_errors()
    {
        using var dir = HaDirectory.Seed();
        var bag = new DiagnosticBag();
        var spec = HeartbeatReader.Read(dir.Options(), bag);
        bag.NoErrors();
        Assert.Equal([dir.File("ha.cf"), dir.File("authkeys"), dir.File("haresources")], spec.Sources);
        Assert.Equal(2, spec.Nodes.Count);
        Assert.Equal(3, spec.Links.Count);
        Assert.NotNull(spec.Auth);
        Assert.Equal((1, AuthMethod.Sha1, "PutYourSuperSecretKeyHere"), (spec.Auth.ActiveIndex, spec.Auth.Active.Method, spec.Auth.Active.Secret));
        var group = Assert.Single(spec.Groups);
        Assert.Equal("drbddisk::r0", group.Name);
        Assert.Empty(spec.Replicated);
        Assert.True(spec.Fencing.Disabled);
        // vz is not installed in the test's script directories: a warning naming them, not an error
        var w = bag.Single("HARES011");
        Assert.Contains(dir.ScriptDirectory, w.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(bag.Items, d => d.ToString().Contains("PutYourSuperSecretKeyHere", StringComparison.Ordinal));
    }

    [Fact]
    public void The_seed_cluster_loads_through_the_config_loader_when_drbd_conf_is_absent()
    {
        using var dir = HaDirectory.Seed();
        var result = ConfigLoader.Load(dir.Options() with { DrbdConf = null });
        // ConfigLoader reads /etc/drbd.conf only when it exists; on this machine it does not, so the
        // result depends only on the Heartbeat files.
        if (File.Exists(ConfigOptions.DefaultDrbdConf))
        {
            Assert.Skip("this machine has an /etc/drbd.conf");
        }
        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics));
    }

    [Fact]
    public void The_seed_cluster_with_authkeys_mode_644_is_refused()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only");
        }
        using var dir = HaDirectory.Seed();
        dir.Mode("authkeys", Mode644);
        var bag = new DiagnosticBag();
        var spec = HeartbeatReader.Read(dir.Options(), bag);
        Assert.Null(spec.Auth);
        var d = bag.Single("AUTH002");
        Assert.Contains("600 recommended", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_haresources_is_refused_as_Heartbeat_refuses_it()
    {
        using var dir = HaDirectory.Seed();
        File.Delete(dir.File("haresources"));
        var bag = new DiagnosticBag();
        var spec = HeartbeatReader.Read(dir.Options(), bag);
        Assert.Empty(spec.Groups);
        var missing = bag.Single("HARES001");
        Assert.Equal(Severity.Error, missing.Severity);
        Assert.StartsWith("Cannot open resources file [", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_haresources_means_no_groups()
    {
        using var dir = HaDirectory.Seed();
        dir.Write("haresources", "# membership only\n");
        var bag = new DiagnosticBag();
        var spec = HeartbeatReader.Read(dir.Options(), bag);
        bag.NoErrors();
        Assert.Empty(spec.Groups);
    }

    [Fact]
    public void Missing_ha_cf_and_authkeys_are_errors_naming_the_paths()
    {
        using var dir = new HaDirectory();
        var bag = new DiagnosticBag();
        HeartbeatReader.Read(dir.Options(), bag);
        Assert.Contains(dir.File("ha.cf"), bag.Single("HACF001").Message, StringComparison.Ordinal);
        Assert.Contains(dir.File("authkeys"), bag.Single("AUTH001").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("other")]
    [InlineData("any")]
    public void Autojoin_conflicts_with_resource_groups(string mode)
    {
        using var dir = HaDirectory.Seed();
        File.AppendAllText(dir.File("ha.cf"), $"autojoin {mode}\n");
        var bag = new DiagnosticBag();
        HeartbeatReader.Read(dir.Options(), bag);
        var d = bag.Single("HACF031");
        Assert.Equal(dir.File("ha.cf"), d.File);
        Assert.Equal(File.ReadAllLines(dir.File("ha.cf")).Length, d.Line);
        Assert.StartsWith("R1 style resource management conflicts with autojoin", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Legacy_failback_with_groups_warns_as_heartbeat_does()
    {
        using var dir = HaDirectory.Seed();
        File.WriteAllText(dir.File("ha.cf"), File.ReadAllText(dir.File("ha.cf")).Replace("auto_failback off", "auto_failback legacy", StringComparison.Ordinal));
        var bag = new DiagnosticBag();
        var spec = HeartbeatReader.Read(dir.Options(), bag);
        Assert.Equal(FailbackMode.Legacy, spec.AutoFailback);
        var d = bag.Single("HACF024");
        Assert.Equal(Severity.Warning, d.Severity);
        Assert.StartsWith("Deprecated 'legacy' auto_failback option selected", d.Message, StringComparison.Ordinal);
        Assert.True(d.Line > 0);
    }

    [Fact]
    public void Groups_naming_an_unknown_node_are_errors()
    {
        using var dir = HaDirectory.Seed();
        File.AppendAllText(dir.File("haresources"), "\novz-node9 IPaddr::10.0.0.9\n");
        var bag = new DiagnosticBag();
        HeartbeatReader.Read(dir.Options(), bag);
        Assert.Equal(3, bag.Single("HARES006").Line);
    }
}

public sealed class ClassicFileTests
{
    [Fact]
    public void A_file_over_the_size_limit_is_refused_without_reading_it_all()
    {
        using var dir = new HaDirectory();
        using (var f = File.Create(dir.File("ha.cf")))
        {
            f.SetLength(HbText.MaxFileBytes + 1);
        }
        var bag = new DiagnosticBag();
        Assert.Null(HaCfReader.Read(dir.File("ha.cf"), ClassicTestFiles.NothingLocal, bag));
        Assert.Contains("at most", bag.Single("HACF001").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_in_place_of_a_file_is_an_error()
    {
        using var dir = new HaDirectory();
        Directory.CreateDirectory(dir.File("ha.cf"));
        Directory.CreateDirectory(dir.File("authkeys"));
        Directory.CreateDirectory(dir.File("haresources"));
        var bag = new DiagnosticBag();
        HeartbeatReader.Read(dir.Options(), bag);
        Assert.Contains("is a directory", bag.Single("HACF001").Message, StringComparison.Ordinal);
        Assert.Contains("is a directory", bag.Single("AUTH001").Message, StringComparison.Ordinal);
        Assert.Contains("is a directory", bag.Single("HARES002").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_byte_order_mark_is_skipped()
    {
        Assert.Equal("node a", HbText.Decode([0xEF, 0xBB, 0xBF, .. "node a"u8]));
    }
}
