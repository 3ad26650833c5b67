using Tandem.Config.Native;
using Tandem.Core.Model;
using Xunit;

namespace Tandem.Config.Tests.Native;

public class NativeReaderTests
{
    private const string OneNode = "[[node]]\nname = \"a\"\n";

    private static (ClusterSpec Spec, IReadOnlyList<Diagnostic> Diagnostics) Parse(string text, ConfigOptions? options = null)
    {
        var diagnostics = new DiagnosticBag();
        var spec = NativeConfigReader.Parse(text, "t.toml", options ?? new ConfigOptions { SkipKeyFileModeCheck = true }, diagnostics);
        return (spec, diagnostics.Items);
    }

    private static Diagnostic Single(string text, string code, ConfigOptions? options = null)
    {
        var (_, diagnostics) = Parse(text, options);
        var matching = diagnostics.Where(d => d.Code == code).ToList();
        Assert.True(matching.Count == 1, $"expected one {code}, got:\n{string.Join("\n", diagnostics)}");
        return matching[0];
    }

    private static ClusterSpec Clean(string text, ConfigOptions? options = null)
    {
        var (spec, diagnostics) = Parse(text, options);
        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics));
        return spec;
    }

    [Fact]
    public void The_seed_example_gives_the_seed_model()
    {
        var spec = ExampleFiles.Read("seed.toml");
        var expected = new ClusterSpec
        {
            Name = "linux-ha",
            Nodes = [new NodeSpec("ovz-node1"), new NodeSpec("ovz-node2")],
            Timing = new TimingSpec
            {
                Keepalive = TimeSpan.FromSeconds(2), Warntime = TimeSpan.FromSeconds(10), Deadtime = TimeSpan.FromSeconds(30),
                Initdead = TimeSpan.FromSeconds(120), Deadping = TimeSpan.FromSeconds(30),
            },
            Links =
            [
                new UnicastLinkSpec("ucast-eth0", "eth0", 694, [new LinkEndpoint("192.168.0.1", null, "ovz-node1"), new LinkEndpoint("192.168.0.2", null, "ovz-node2")]),
                new UnicastLinkSpec("ucast-eth1", "eth1", 694, [new LinkEndpoint("10.0.0.1", null, "ovz-node1"), new LinkEndpoint("10.0.0.2", null, "ovz-node2")]),
                new SerialLinkSpec("serial-ttyS0", "/dev/ttyS0", 19200),
            ],
            Auth = new AuthSpec(1, [new AuthKey(1, AuthMethod.Sha1, "PutYourSuperSecretKeyHere")]),
            Replicated =
            [
                new ReplicatedResourceSpec("r0")
                {
                    Protocol = ReplicationProtocol.C,
                    Net = new NetOptions { AfterSb0Pri = "discard-zero-changes", AfterSb1Pri = "discard-secondary", AfterSb2Pri = "disconnect" },
                    Disk = new DiskOptions { OnIoError = "detach", ResyncRate = 30L * 1024 * 1024, AlExtents = 257 },
                    Startup = new StartupOptions { DegrWfcTimeout = TimeSpan.FromSeconds(120) },
                    Hosts =
                    [
                        new ReplicaHostSpec("ovz-node1", "10.0.0.1:7788", [new VolumeSpec(0, "/dev/drbd0", "/dev/hda3", "internal")]),
                        new ReplicaHostSpec("ovz-node2", "10.0.0.2:7788", [new VolumeSpec(0, "/dev/drbd0", "/dev/hda3", "internal")]),
                    ],
                },
            ],
            Groups =
            [
                new GroupSpec("drbddisk::r0", "ovz-node1",
                [
                    new ResourceSpec("drbddisk", "drbddisk") { Arguments = ["r0"] },
                    new ResourceSpec("Filesystem", "Filesystem") { Arguments = ["/dev/drbd0", "/vz", "ext3"] },
                    new ResourceSpec("vz", "vz"),
                    new ResourceSpec("MailTo", "MailTo") { Arguments = ["youremail@yourdomain.tld"] },
                ]),
            ],
            Fencing = new FencingSpec { Disabled = true },
            Ping = [new PingSpec("192.168.0.254", ["192.168.0.254"], false)],
            AutoFailback = FailbackMode.Off,
            Logging = new LoggingSpec { Facility = "daemon", LogFile = "/var/log/ha-log", DebugFile = "/var/log/ha-debug" },
            Respawn = [new RespawnSpec("hacluster", "/usr/lib64/heartbeat/ipfail")],
        };
        SpecCanon.AssertEqual(expected, spec);
        Assert.Equal([ExampleFiles.NativeExample("seed.toml")], spec.Sources);
    }

    [Fact]
    public void The_loopback_example_runs_two_nodes_on_one_machine()
    {
        var spec = ExampleFiles.Read("loopback.toml");
        Assert.Equal(["alpha", "bravo"], spec.Nodes.Select(n => n.Name));
        Assert.Equal(TimeSpan.FromMilliseconds(100), spec.Timing.Keepalive);
        Assert.Equal(TimeSpan.FromMilliseconds(500), spec.Timing.Deadtime);
        Assert.Equal(2, spec.Links.Count);
        // Every node owns a distinct (address, port) on every link.
        foreach (var link in spec.Links.Cast<UnicastLinkSpec>())
        {
            var owned = link.Endpoints.Select(e => (e.Node, e.Address, e.Port ?? link.Port)).ToList();
            Assert.Equal(["alpha", "bravo"], owned.Select(o => o.Node));
            Assert.Equal(2, owned.Select(o => (o.Address, o.Item3)).Distinct().Count());
            Assert.All(owned, o => Assert.StartsWith("127.", o.Address, StringComparison.Ordinal));
        }
        var r0 = Assert.Single(spec.Replicated);
        Assert.Equal(["127.0.0.1:17788", "127.0.0.1:17789"], r0.Hosts.Select(h => h.Address));
        Assert.NotEqual(r0.Hosts[0].Volumes[0].Disk, r0.Hosts[1].Volumes[0].Disk);
        var group = Assert.Single(spec.Groups);
        Assert.Contains(group.Resources, r => r.Agent == "process" && r.Class == AgentClass.BuiltIn);
        Assert.True(spec.Fencing.Disabled);
        Assert.NotEqual(spec.Nodes[0].NbdListen, spec.Nodes[1].NbdListen);

        // And the loader's cross-file validation has nothing to add.
        var result = ConfigLoader.Load(new ConfigOptions { NativeConfig = ExampleFiles.NativeExample("loopback.toml"), SkipKeyFileModeCheck = true, LocalNode = "alpha" });
        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void The_seed_example_passes_the_loader()
    {
        var result = ConfigLoader.Load(new ConfigOptions { NativeConfig = ExampleFiles.NativeExample("seed.toml"), SkipKeyFileModeCheck = true, LocalNode = "ovz-node2" });
        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void An_unknown_key_is_located_and_gets_a_suggestion()
    {
        var d = Single(OneNode + "[timing]\nkeepalve = \"1s\"\n", NativeCodes.UnknownKey);
        Assert.Equal((4, 1), (d.Line, d.Column));
        Assert.Contains("'keepalive'", d.Hint, StringComparison.Ordinal);
        Assert.Equal("t.toml:4:1: error TOML003: unknown key 'keepalve' in [timing] (hint: did you mean 'keepalive'?)", d.ToString());
    }

    [Fact]
    public void An_unknown_table_gets_a_suggestion()
    {
        var d = Single(OneNode + "[clustr]\nname = \"x\"\n", NativeCodes.UnknownKey);
        Assert.Equal(3, d.Line);
        Assert.Contains("[cluster]", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drbd_spelling_finds_the_native_key()
    {
        var d = Single(OneNode + "[[replicated]]\nname = \"r0\"\n[replicated.net]\nafter-sb-0pri = \"disconnect\"\n", NativeCodes.UnknownKey);
        Assert.Equal(6, d.Line);
        Assert.Contains("after_sb_0pri", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_link_kind_says_which_kind_it_belongs_to()
    {
        var d = Single(OneNode + "[[link]]\nkind = \"ucast\"\ngroup = \"239.0.0.1\"\nendpoint = [{ address = \"10.0.0.1\" }]\n", NativeCodes.UnknownKey);
        Assert.Equal(5, d.Line);
        Assert.Contains("mcast", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_type_names_the_expected_type()
    {
        var d = Single(OneNode + "[[link]]\nkind = \"bcast\"\ninterface = \"eth0\"\nport = \"694\"\n", NativeCodes.WrongType);
        Assert.Equal((6, 8), (d.Line, d.Column));
        Assert.Contains("must be an integer, not a string", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_choice_suggests_the_closest_value()
    {
        var d = Single(OneNode + "[[link]]\nkind = \"unicast\"\n", NativeCodes.BadValue);
        Assert.Equal(4, d.Line);
        Assert.Contains("\"ucast\"", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_table_where_an_array_of_tables_belongs_is_an_error()
    {
        var d = Single("[node]\nname = \"a\"\n", NativeCodes.WrongType);
        Assert.Contains("[[node]]", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2", "\"2s\"")]
    [InlineData("1.5", "\"1.5s\"")]
    public void An_integer_duration_is_an_error_with_a_hint(string value, string hint)
    {
        var d = Single(OneNode + $"[timing]\nkeepalive = {value}\n", NativeCodes.BadDuration);
        Assert.Equal(4, d.Line);
        Assert.Contains(hint, d.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2 parsecs")]
    [InlineData("s")]
    [InlineData("-1s")]
    [InlineData("1e3ms")]
    [InlineData("0.00001us")]
    [InlineData("400d")]
    public void A_malformed_duration_is_an_error(string value) =>
        Single(OneNode + $"[timing]\nkeepalive = \"{value}\"\n", NativeCodes.BadDuration);

    [Fact]
    public void Sub_second_timing_is_allowed_and_defaults_follow_heartbeat()
    {
        var spec = Clean(OneNode + "[timing]\nkeepalive = \"100ms\"\ndeadtime = \"500ms\"\n");
        Assert.Equal(TimeSpan.FromMilliseconds(100), spec.Timing.Keepalive);
        Assert.Equal(TimeSpan.FromMilliseconds(500), spec.Timing.Deadtime);
        Assert.Equal(TimingSpec.DefaultWarntime(TimeSpan.FromMilliseconds(500)), spec.Timing.Warntime);
        Assert.Equal(TimingSpec.DefaultInitdead(TimeSpan.FromMilliseconds(500)), spec.Timing.Initdead);
        Assert.Equal(TimeSpan.FromMilliseconds(500), spec.Timing.Deadping);
    }

    [Fact]
    public void No_timing_table_gives_heartbeat_defaults() =>
        SpecCanon.AssertEqual(new ClusterSpec { Nodes = [new NodeSpec("a")] }, Clean(OneNode));

    [Theory]
    [InlineData("keepalive = \"1s\"\ndeadtime = \"2s\"", 5)]        // deadtime must exceed 2 x keepalive
    [InlineData("keepalive = \"20s\"", 4)]                           // against the default deadtime of 30 s
    [InlineData("deadtime = \"30s\"\ninitdead = \"29s\"", 5)]
    [InlineData("keepalive = \"1s\"\ndeadping = \"2s\"", 5)]
    public void Heartbeat_timing_rules_are_enforced(string timing, int line)
    {
        var d = Single(OneNode + "[timing]\n" + timing + "\n", NativeCodes.Timing);
        Assert.Equal(line, d.Line);
    }

    [Fact]
    public void A_warntime_past_the_deadtime_is_a_warning()
    {
        var (spec, diagnostics) = Parse(OneNode + "[timing]\nwarntime = \"40s\"\n");
        var d = Assert.Single(diagnostics);
        Assert.Equal((Severity.Warning, NativeCodes.TimingWarning), (d.Severity, d.Code));
        Assert.Equal(TimeSpan.FromSeconds(40), spec.Timing.Warntime);
    }

    [Fact]
    public void Node_names_are_unique_ignoring_case()
    {
        var d = Single("[[node]]\nname = \"a\"\n[[node]]\nname = \"A\"\n", NativeCodes.Duplicate);
        Assert.Equal(4, d.Line);
    }

    [Fact]
    public void A_file_without_nodes_is_incomplete() =>
        Single("[cluster]\nname = \"x\"\n", NativeCodes.Incomplete);

    [Fact]
    public void Two_nodes_need_a_link() =>
        Single("[[node]]\nname = \"a\"\n[[node]]\nname = \"b\"\n", NativeCodes.Incomplete);

    [Fact]
    public void A_preferred_node_must_be_a_node()
    {
        var d = Single(OneNode + "[[group]]\npreferred_node = \"b\"\n[[group.resource]]\nagent = \"x\"\n", NativeCodes.UnknownNode);
        Assert.Equal(4, d.Line);
    }

    [Fact]
    public void A_misspelt_node_gets_a_suggestion()
    {
        var d = Single("[[node]]\nname = \"alpha\"\n[[group]]\npreferred_node = \"alhpa\"\n[[group.resource]]\nagent = \"x\"\n", NativeCodes.UnknownNode);
        Assert.Contains("'alpha'", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void An_endpoint_node_must_be_a_node()
    {
        var d = Single(OneNode + "[[link]]\nkind = \"ucast\"\n[[link.endpoint]]\naddress = \"127.0.0.1\"\nnode = \"zz\"\n", NativeCodes.UnknownNode);
        Assert.Equal(7, d.Line);
    }

    [Fact]
    public void Group_defaults_follow_haresources()
    {
        var spec = Clean(OneNode + "[[group]]\npreferred_node = \"a\"\n[[group.resource]]\nagent = \"IPaddr\"\narguments = [\"10.0.0.9\"]\n[[group.resource]]\nagent = \"IPaddr\"\n");
        var g = Assert.Single(spec.Groups);
        Assert.Equal("IPaddr::10.0.0.9", g.Name);
        Assert.Equal(["IPaddr", "IPaddr-2"], g.Resources.Select(r => r.Id));
        Assert.Equal(AgentClass.Heartbeat, g.Resources[0].Class);
    }

    [Fact]
    public void Per_resource_timeouts_and_monitor_intervals_are_read()
    {
        var spec = Clean(OneNode + "[[group]]\nname = \"g\"\npreferred_node = \"a\"\n[[group.resource]]\nagent = \"process\"\nclass = \"builtin\"\nstart_timeout = \"1.5s\"\nstop_timeout = \"250ms\"\nmonitor_timeout = \"1m\"\nmonitor_interval = \"500us\"\n");
        var r = spec.Groups[0].Resources[0];
        Assert.Equal(
            (TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(1), TimeSpan.FromMicroseconds(500)),
            (r.StartTimeout, r.StopTimeout, r.MonitorTimeout, r.MonitorInterval));
    }

    [Fact]
    public void Several_volumes_per_host_are_read()
    {
        var spec = Clean(OneNode + "[[replicated]]\nname = \"r\"\n[[replicated.host]]\nname = \"a\"\naddress = \"127.0.0.1:7000\"\n"
            + "[[replicated.host.volume]]\ndevice = \"/dev/x0\"\ndisk = \"d0.img\"\n"
            + "[[replicated.host.volume]]\nnumber = 7\ndevice = \"/dev/x7\"\ndisk = \"d7.img\"\nmeta_disk = \"/dev/meta[1]\"\n");
        var volumes = spec.Replicated[0].Hosts[0].Volumes;
        Assert.Equal([new VolumeSpec(0, "/dev/x0", "d0.img", "internal"), new VolumeSpec(7, "/dev/x7", "d7.img", "/dev/meta[1]")], volumes);
    }

    [Fact]
    public void Volume_numbers_are_unique_per_host()
    {
        var d = Single(OneNode + "[[replicated]]\nname = \"r\"\n[[replicated.host]]\nname = \"a\"\naddress = \"127.0.0.1:7000\"\n"
            + "[[replicated.host.volume]]\nnumber = 1\ndevice = \"/dev/x0\"\ndisk = \"d0\"\n"
            + "[[replicated.host.volume]]\nnumber = 1\ndevice = \"/dev/x1\"\ndisk = \"d1\"\n", NativeCodes.Duplicate);
        Assert.Equal(13, d.Line);
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("10.0.0.1:0")]
    [InlineData("fd00::1:7788")]
    [InlineData("host.example:7788")]
    public void A_host_address_must_be_ip_and_port(string address) =>
        Single(OneNode + $"[[replicated]]\nname = \"r\"\n[[replicated.host]]\nname = \"a\"\naddress = \"{address}\"\n[[replicated.host.volume]]\ndevice = \"x\"\ndisk = \"y\"\n", NativeCodes.BadValue);

    private const string AuthHead = OneNode + "[auth]\nactive = 1\n";

    [Fact]
    public void Key_indexes_run_from_0_to_15()
    {
        var d = Single(AuthHead + "[[auth.key]]\nindex = 16\nmethod = \"sha1\"\nsecret = \"s\"\n", NativeCodes.BadValue);
        Assert.Equal(6, d.Line);
    }

    [Fact]
    public void The_active_key_must_exist()
    {
        var d = Single(AuthHead + "[[auth.key]]\nindex = 2\nmethod = \"sha1\"\nsecret = \"s\"\n", NativeCodes.Auth);
        Assert.Equal(4, d.Line);
    }

    [Fact]
    public void A_tcp_nbd_listen_needs_tls_or_the_explicit_insecure_opt_in()
    {
        // Issue #18 item 4: plain NBD on TCP lets anyone who can connect read and write the volume.
        const string listen = "[[node]]\nname = \"a\"\nnbd_listen = \"127.0.0.1:10809\"\n";
        var d = Single(listen, NativeCodes.InsecureNbd);
        Assert.Equal(3, d.Line);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Contains("nbd_insecure = true", d.Hint, StringComparison.Ordinal);

        var insecure = Clean(listen + "nbd_insecure = true\n");
        Assert.True(insecure.Nodes[0].NbdInsecure);
        Assert.Null(insecure.Nodes[0].NbdTls);

        var tls = Clean(listen + "nbd_tls_certificate = \"/etc/tandem/nbd.pem\"\nnbd_tls_key = \"/etc/tandem/nbd.key\"\nnbd_tls_client_ca = \"/etc/tandem/clients.pem\"\n");
        Assert.Equal(new NbdTlsSpec("/etc/tandem/nbd.pem") { Key = "/etc/tandem/nbd.key", ClientCa = "/etc/tandem/clients.pem", VerifyClient = NbdClientCertificates.Required },
            tls.Nodes[0].NbdTls);
        Assert.False(tls.Nodes[0].NbdInsecure);

        var optional = Clean(listen + "nbd_tls_certificate = \"/c.pem\"\nnbd_tls_client_ca = \"/ca.pem\"\nnbd_tls_verify_client = \"optional\"\n");
        Assert.Equal(NbdClientCertificates.Optional, optional.Nodes[0].NbdTls!.VerifyClient);

        Assert.Equal(4, Single(listen + "nbd_insecure = true\nnbd_tls_certificate = \"/c.pem\"\n", NativeCodes.InsecureNbd).Line);
        Assert.Equal(4, Single(listen + "nbd_tls_verify_client = \"required\"\nnbd_tls_certificate = \"/c.pem\"\n", NativeCodes.InsecureNbd).Line);
        var (_, keyAlone) = Parse(listen + "nbd_tls_key = \"/k.pem\"\n", null);
        Assert.Contains(keyAlone, k => k.Code == NativeCodes.InsecureNbd && k.Line == 4 && k.Message.Contains("needs nbd_tls_certificate", StringComparison.Ordinal));
        // Without nbd_listen there is no TCP, and nothing to opt into.
        Clean("[[node]]\nname = \"a\"\n");
    }

    [Fact]
    public void Crc_needs_the_insecure_option()
    {
        const string text = AuthHead + "[[auth.key]]\nindex = 1\nmethod = \"crc\"\n";
        var d = Single(text, NativeCodes.InsecureAuth);
        Assert.Equal(7, d.Line);
        var spec = Clean(text, new ConfigOptions { AllowInsecureAuth = true, SkipKeyFileModeCheck = true });
        Assert.True(spec.Auth!.AllowInsecure);
        Assert.Equal(AuthMethod.Crc, spec.Auth.Active.Method);
    }

    [Fact]
    public void A_keyed_method_needs_a_secret_and_crc_takes_none()
    {
        Single(AuthHead + "[[auth.key]]\nindex = 1\nmethod = \"sha256\"\n", NativeCodes.Auth);
        Single(AuthHead + "[[auth.key]]\nindex = 1\nmethod = \"crc\"\nsecret = \"x\"\n", NativeCodes.Auth, new ConfigOptions { AllowInsecureAuth = true });
        Single(AuthHead + "[[auth.key]]\nindex = 1\nmethod = \"sha256\"\nsecret = \"x\"\nsecret_file = \"k\"\n", NativeCodes.Conflict);
    }

    [Fact]
    public void Fencing_disabled_with_devices_is_a_contradiction()
    {
        var d = Single(OneNode + "[fencing]\ndisabled = true\n[[fencing.device]]\nname = \"m\"\nkind = \"manual\"\n", NativeCodes.Conflict);
        Assert.Equal(4, d.Line);
    }

    [Fact]
    public void Fence_targets_must_be_nodes() =>
        Single(OneNode + "[[fencing.device]]\nname = \"f\"\nkind = \"script\"\ncommand = \"/bin/true\"\ntargets = [\"a\", \"b\"]\n", NativeCodes.UnknownNode);

    [Fact]
    public void Inline_arrays_of_tables_are_accepted()
    {
        var spec = Clean(OneNode + "[[link]]\nkind = \"ucast\"\nport = 7000\nendpoint = [\n  { address = \"127.0.0.1\", node = \"a\" },\n  { address = \"::1\", port = 7001 },\n]\n");
        var link = Assert.IsType<UnicastLinkSpec>(Assert.Single(spec.Links));
        Assert.Equal([new LinkEndpoint("127.0.0.1", null, "a"), new LinkEndpoint("::1", 7001, null)], link.Endpoints);
        Assert.Equal("ucast-1", link.Name);
    }

    [Fact]
    public void A_serial_link_can_name_a_device_per_node()
    {
        var spec = Clean("[[node]]\nname = \"a\"\n[[node]]\nname = \"b\"\n[[link]]\nkind = \"serial\"\ndevices = { a = \"/dev/pts/3\", b = \"/dev/pts/4\" }\n");
        var link = Assert.IsType<SerialLinkSpec>(Assert.Single(spec.Links));
        Assert.Equal("", link.Device);
        Assert.Equal("/dev/pts/4", link.DeviceByNode["b"]);
        Assert.Equal(19200, link.Baud);
    }
}
