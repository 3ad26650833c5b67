using Tandem.Config.Classic;
using Tandem.Core.Model;
using Xunit;
using static Tandem.Config.Tests.Classic.ClassicTestFiles;

namespace Tandem.Config.Tests.Classic;

public sealed class HaCfReaderTests
{
    private static (HaCfDocument Doc, DiagnosticBag Bag) Parse(string text)
    {
        var bag = new DiagnosticBag();
        return (ParseHaCf(text, bag), bag);
    }

    [Fact]
    public void Seed_ha_cf_reads_without_errors_and_ignores_the_local_ucast_addresses()
    {
        var (doc, bag) = Parse(File.ReadAllText(Path.Combine(SeedDirectory, "ha.cf")));
        var spec = doc.Spec;
        Assert.Empty(bag.Errors());
        Assert.Equal(["ovz-node1", "ovz-node2"], spec.Nodes.Select(n => n.Name));
        Assert.Equal(TimeSpan.FromSeconds(2), spec.Timing.Keepalive);
        Assert.Equal(TimeSpan.FromSeconds(10), spec.Timing.Warntime);
        Assert.Equal(TimeSpan.FromSeconds(30), spec.Timing.Deadtime);
        Assert.Equal(TimeSpan.FromSeconds(120), spec.Timing.Initdead);
        Assert.Equal(TimeSpan.FromSeconds(30), spec.Timing.Deadping);
        Assert.Equal(FailbackMode.Off, spec.AutoFailback);
        Assert.Equal("daemon", spec.Logging.Facility);
        Assert.Equal("/var/log/ha-log", spec.Logging.LogFile);
        Assert.Equal("/var/log/ha-debug", spec.Logging.DebugFile);
        Assert.Equal(3, spec.Links.Count);
        var eth0 = Assert.IsType<UnicastLinkSpec>(spec.Links[0]);
        Assert.Equal(("ucast-eth0", "eth0", 694), (eth0.Name, eth0.Interface, eth0.Port));
        Assert.Equal(["192.168.0.2"], eth0.Endpoints.Select(e => e.Address));
        var eth1 = Assert.IsType<UnicastLinkSpec>(spec.Links[1]);
        Assert.Equal(["10.0.0.2"], eth1.Endpoints.Select(e => e.Address));
        var serial = Assert.IsType<SerialLinkSpec>(spec.Links[2]);
        Assert.Equal(("serial-ttyS0", "/dev/ttyS0", 19200), (serial.Name, serial.Device, serial.Baud));
        Assert.Equal(2, bag.Items.Count(d => d.Code == "HACF017"));
        Assert.Equal([18, 20], bag.Items.Where(d => d.Code == "HACF017").Select(d => d.Line));
        var ping = Assert.Single(spec.Ping);
        Assert.Equal(("192.168.0.254", false), (ping.Name, ping.IsGroup));
        Assert.Empty(spec.Respawn); // ipfail is Tandem's own job
        Assert.Single(bag.Items, d => d.Code == "HACF040");
        Assert.Single(bag.Items, d => d.Code == "HACF005" && d.Message.Contains("apiauth", StringComparison.Ordinal));
        Assert.True(spec.Fencing.Disabled);
        Assert.Equal(Severity.Warning, bag.Single("HACF028").Severity);
        Assert.Contains("No STONITH device configured. Shared disks are not protected.", bag.Single("HACF028").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_local_addresses_every_ucast_line_is_an_endpoint()
    {
        var bag = new DiagnosticBag();
        var doc = HaCfReader.Parse(File.ReadAllText(Path.Combine(SeedDirectory, "ha.cf")), "ha.cf", NothingLocal, bag);
        var eth0 = Assert.IsType<UnicastLinkSpec>(doc.Spec.Links[0]);
        Assert.Equal(["192.168.0.1", "192.168.0.2"], eth0.Endpoints.Select(e => e.Address));
    }

    [Theory]
    [InlineData("Keepalive 2", "HACF004")]
    [InlineData("keepalvie 2", "HACF004")]
    [InlineData("frobnicate on", "HACF004")]
    public void Unknown_directives_are_illegal_with_a_suggestion(string line, string code)
    {
        if (line == "keepalive")
        {
            // a bare known directive is a missing value, not an illegal directive
            var (_, b) = Parse(Base + line + "\n");
            Assert.Equal(4, b.Single("HACF006").Line);
            return;
        }
        var (_, bag) = Parse(Base + line + "\n");
        var d = bag.Single(code);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Equal((4, 1), (d.Line, d.Column));
        Assert.StartsWith("Illegal directive [", d.Message, StringComparison.Ordinal);
        if (!line.StartsWith("frob", StringComparison.Ordinal))
        {
            Assert.Equal("did you mean 'keepalive'?", d.Hint);
        }
        else
        {
            Assert.DoesNotContain("did you mean", d.Hint, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string> NotActedOnDirectives => new(
        "use_logd on", "conn_logd_time 60", "hbaping fc-card", "failfast hacluster /bin/true", "apiauth ipfail gid=haclient uid=hacluster",
        "watchdog /dev/watchdog", "hopfudge 1", "hbgenmethod file", "realtime on", "rtprio 50", "debug 0", "msgfmt classic",
        "compression bz2", "compression_threshold 2", "traditional_compression no", "max_rexmit_delay 250", "uuidfrom nodename",
        "coredumps true", "coreroot /var/lib/heartbeat/cores", "log_badpack yes", "normalpoll true", "memreserve 6500",
        "env FOO=bar", "quorum_server q1", "crm_daemon_dir /usr/lib/heartbeat", "crmd_spawns_pengine yes");

    [Theory]
    [MemberData(nameof(NotActedOnDirectives))]
    public void Directives_tandem_does_not_act_on_are_accepted_with_a_note(string line)
    {
        var (_, bag) = Parse(Base + line + "\n");
        bag.NoErrors();
        var d = bag.Single("HACF005");
        Assert.Equal(Severity.Info, d.Severity);
        Assert.StartsWith("accepted, not acted on: " + line.Split(' ')[0], d.Message, StringComparison.Ordinal);
        Assert.Equal(4, d.Line);
    }

    [Theory]
    [InlineData("realtime maybe", "HACF013")]
    [InlineData("conn_logd_time 5s", "HACF007")]
    [InlineData("rtprio high", "HACF037")]
    public void Values_of_directives_not_acted_on_are_still_checked(string line, string code)
    {
        var (_, bag) = Parse(Base + line + "\n");
        Assert.Equal(4, bag.Single(code).Line);
    }

    [Fact]
    public void Every_reference_directive_is_known()
    {
        string[] reference =
        [
            "logfacility", "logfile", "debugfile", "use_logd", "conn_logd_time", "keepalive", "deadtime", "warntime", "initdead",
            "deadping", "udpport", "baud", "serial", "bcast", "mcast", "mcast6", "ucast", "ucast6", "node", "autojoin",
            "auto_failback", "nice_failback", "ping", "ping_group", "hbaping", "respawn", "failfast", "apiauth", "stonith",
            "stonith_host", "watchdog", "hopfudge", "hbgenmethod", "realtime", "rtprio", "debug", "msgfmt", "compression",
            "compression_threshold", "traditional_compression", "max_rexmit_delay", "crm", "pacemaker", "uuidfrom", "coredumps",
            "coreroot", "log_badpack", "normalpoll", "memreserve", "env", "quorum_server", "crm_daemon_dir", "crmd_spawns_pengine",
            "cluster",
        ];
        Assert.All(reference, d => Assert.True(HaCfDirectives.IsKnown(d), d));
    }

    [Fact]
    public void Node_is_an_option_list()
    {
        var (doc, bag) = Parse("bcast eth0\nnode a b c\nnode D\n");
        bag.NoErrors();
        Assert.Equal(["a", "b", "c", "D"], doc.Spec.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Duplicate_nodes_compare_without_case()
    {
        var (doc, bag) = Parse("bcast eth0\nnode alpha ALPHA\n");
        Assert.Single(doc.Spec.Nodes);
        Assert.Equal(Severity.Warning, bag.Single("HACF033").Severity);
    }

    [Fact]
    public void Udpport_applies_only_to_the_lines_after_it_and_not_to_mcast()
    {
        var (doc, bag) = Parse("""
            node a b
            ucast eth0 10.0.0.5
            bcast eth2
            udpport 700
            ucast eth0 10.0.0.6
            ucast eth1 10.1.0.6
            bcast eth3
            mcast eth4 239.192.0.1 800 1 0
            ucast eth0 10.0.0.7
            """);
        bag.NoErrors();
        var links = doc.Spec.Links;
        Assert.Equal(["ucast-eth0", "bcast-eth2", "ucast-eth0-700", "ucast-eth1", "bcast-eth3", "mcast-eth4"], links.Select(l => l.Name));
        Assert.Equal(694, ((UnicastLinkSpec)links[0]).Port);
        Assert.Equal(["10.0.0.5"], ((UnicastLinkSpec)links[0]).Endpoints.Select(e => e.Address));
        Assert.Equal(694, ((BroadcastLinkSpec)links[1]).Port);
        Assert.Equal(700, ((UnicastLinkSpec)links[2]).Port);
        Assert.Equal(["10.0.0.6", "10.0.0.7"], ((UnicastLinkSpec)links[2]).Endpoints.Select(e => e.Address));
        Assert.Equal(700, ((BroadcastLinkSpec)links[4]).Port);
        var m = (MulticastLinkSpec)links[5];
        Assert.Equal(("eth4", "239.192.0.1", 800, 1, false), (m.Interface, m.Group, m.Port, m.Ttl, m.Loop));
    }

    [Fact]
    public void Baud_applies_to_the_serial_lines_after_it()
    {
        var (doc, bag) = Parse("node a\nserial /dev/ttyS0\nbaud 115200\nserial /dev/ttyS1 /dev/ttyUSB0\n");
        bag.NoErrors();
        Assert.Equal([19200, 115200, 115200], doc.Spec.Links.Cast<SerialLinkSpec>().Select(s => s.Baud));
        Assert.Equal(["serial-ttyS0", "serial-ttyS1", "serial-ttyUSB0"], doc.Spec.Links.Select(l => l.Name));
    }

    [Theory]
    [InlineData("baud 1234", "HACF015")]
    [InlineData("udpport 70000", "HACF014")]
    [InlineData("udpport x", "HACF014")]
    [InlineData("serial ttyS0", "HACF020")]
    [InlineData("bcast eth/0", "HACF019")]
    [InlineData("ucast eth0", "HACF016")]
    [InlineData("ucast eth0 10.0.0", "HACF016")]
    [InlineData("ucast eth0 peer.example.com", "HACF016")]
    [InlineData("ucast6 eth0 10.0.0.1", "HACF016")]
    [InlineData("mcast eth0 239.0.0.1 694 1", "HACF018")]
    [InlineData("mcast eth0 10.0.0.1 694 1 0", "HACF018")]
    [InlineData("mcast eth0 239.0.0.1 0 1 0", "HACF018")]
    [InlineData("mcast eth0 239.0.0.1 694 256 0", "HACF018")]
    [InlineData("mcast eth0 239.0.0.1 694 1 2", "HACF018")]
    [InlineData("mcast6 eth0 239.0.0.1 694 1 0", "HACF018")]
    [InlineData("ping 10.0.0.300", "HACF026")]
    [InlineData("ping_group g", "HACF026")]
    [InlineData("ping6 10.0.0.1", "HACF026")]
    [InlineData("stonith external/ssh", "HACF027")]
    [InlineData("stonith a b c", "HACF027")]
    [InlineData("stonith_host x/y ssh", "HACF027")]
    [InlineData("respawn hacluster", "HACF029")]
    [InlineData("respawn hacluster bin/tool", "HACF029")]
    [InlineData("autojoin sometimes", "HACF030")]
    [InlineData("auto_failback maybe", "HACF023")]
    [InlineData("nice_failback perhaps", "HACF013")]
    [InlineData("crm on", "HACF032")]
    [InlineData("crm respawn", "HACF032")]
    [InlineData("pacemaker yes", "HACF032")]
    [InlineData("crm sometimes", "HACF013")]
    [InlineData("logfacility kernel", "HACF034")]
    [InlineData("node a/b", "HACF036")]
    [InlineData("keepalive 2s", "HACF007")]
    [InlineData("keepalive 0", "HACF038")]
    public void Bad_values_are_errors_located_on_their_line(string line, string code)
    {
        var (_, bag) = Parse(Base + line + "\n");
        var d = bag.Single(code);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Equal(4, d.Line);
        Assert.True(d.Column >= 1, d.ToString());
        Assert.False(string.IsNullOrEmpty(d.Hint), d.ToString());
    }

    [Fact]
    public void A_trailing_s_on_a_time_value_explains_the_fix()
    {
        var (_, bag) = Parse(Base + "deadtime 30\nkeepalive 2s\n");
        var d = bag.Single("HACF007");
        Assert.Equal((5, 11), (d.Line, d.Column));
        Assert.Contains("write 2, or 2000ms", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crm_off_is_accepted()
    {
        var (_, bag) = Parse(Base + "crm off\npacemaker no\n");
        bag.NoErrors();
    }

    [Fact]
    public void Valid_mcast6_ucast6_ping6_and_ping_group_are_read()
    {
        var (doc, bag) = Parse(Base + "mcast6 eth0 ff05::694 694 1 1\nucast6 eth0 fe80::2%eth0\nping6 2001:db8::1\nping_group net 10.0.0.254 10.0.0.253\nping gw.example.net\n");
        bag.NoErrors();
        Assert.Contains(doc.Spec.Links, l => l is MulticastLinkSpec { Name: "mcast6-eth0", Group: "ff05::694", Loop: true });
        Assert.Contains(doc.Spec.Links, l => l is UnicastLinkSpec { Name: "ucast6-eth0" });
        Assert.Equal(["2001:db8::1", "net", "gw.example.net"], doc.Spec.Ping.Select(p => p.Name));
        Assert.Equal(["10.0.0.254", "10.0.0.253"], doc.Spec.Ping[1].Addresses);
        Assert.True(doc.Spec.Ping[1].IsGroup);
    }

    [Fact]
    public void Ping_lists_each_address_as_its_own_ping_node()
    {
        var (doc, bag) = Parse(Base + "ping 10.0.0.254 10.0.1.254\n");
        bag.NoErrors();
        Assert.Equal(["10.0.0.254", "10.0.1.254"], doc.Spec.Ping.Select(p => p.Name));
        Assert.All(doc.Spec.Ping, p => Assert.False(p.IsGroup));
    }

    [Fact]
    public void Timing_rules_are_heartbeats()
    {
        var (doc, bag) = Parse(Base + "keepalive 2\ndeadtime 4\n");
        var d = bag.Single("HACF008");
        Assert.Equal((5, 10), (d.Line, d.Column));
        Assert.Equal(TimeSpan.FromSeconds(4), doc.Spec.Timing.Deadtime);

        (_, bag) = Parse(Base + "keepalive 20\n");
        Assert.Equal(4, bag.Single("HACF008").Line); // default deadtime 30 is too short for keepalive 20

        (_, bag) = Parse(Base + "deadtime 30\ninitdead 20\n");
        Assert.Equal(5, bag.Single("HACF009").Line);

        (_, bag) = Parse(Base + "keepalive 500ms\ndeadtime 2\ninitdead 5\n");
        bag.NoErrors();
        Assert.Equal(Severity.Warning, bag.Single("HACF010").Severity);

        (_, bag) = Parse(Base + "keepalive 2\ndeadping 4\n");
        Assert.Equal(5, bag.Single("HACF011").Line);

        (_, bag) = Parse(Base + "deadtime 10\nwarntime 10\n");
        Assert.Equal(Severity.Warning, bag.Single("HACF012").Severity);
    }

    [Theory]
    [InlineData(30_000, 15_000, 30_000)]
    [InlineData(5_000, 2_500, 12_000)]
    [InlineData(8_000, 4_000, 16_000)]
    [InlineData(11_000, 5_500, 11_000)]
    public void Defaults_derive_from_deadtime(int deadtimeMs, int warntimeMs, int initdeadMs)
    {
        var (doc, bag) = Parse(Base + $"keepalive 1\ndeadtime {deadtimeMs}ms\n");
        bag.NoErrors();
        Assert.Equal(TimeSpan.FromMilliseconds(warntimeMs), doc.Spec.Timing.Warntime);
        Assert.Equal(TimeSpan.FromMilliseconds(initdeadMs), doc.Spec.Timing.Initdead);
        Assert.Equal(TimeSpan.FromMilliseconds(deadtimeMs), doc.Spec.Timing.Deadping);
    }

    [Fact]
    public void Compiled_in_defaults_apply_to_an_empty_timing_section()
    {
        var (doc, bag) = Parse(Base);
        bag.NoErrors();
        Assert.Equal(new TimingSpec(), doc.Spec.Timing);
        Assert.Equal(FailbackMode.Legacy, doc.Spec.AutoFailback);
        Assert.Equal("linux-ha", doc.Spec.Name);
    }

    [Fact]
    public void A_directive_set_twice_warns_and_the_last_wins()
    {
        var (doc, bag) = Parse(Base + "keepalive 1\nkeepalive 3\n");
        Assert.Equal(TimeSpan.FromSeconds(3), doc.Spec.Timing.Keepalive);
        Assert.Equal(5, bag.Single("HACF035").Line);
    }

    [Fact]
    public void Ucast_to_a_local_address_is_ignored_with_a_note()
    {
        var (doc, bag) = Parse("node a b\nucast eth1 10.0.0.1\nucast eth1 10.0.0.2\n");
        bag.NoErrors();
        var d = bag.Single("HACF017");
        Assert.Equal((Severity.Info, 2, 12), (d.Severity, d.Line, d.Column));
        Assert.Equal(["10.0.0.2"], Assert.IsType<UnicastLinkSpec>(Assert.Single(doc.Spec.Links)).Endpoints.Select(e => e.Address));
    }

    [Fact]
    public void Only_local_ucast_lines_leave_no_medium()
    {
        var (_, bag) = Parse("node a b\nucast eth1 10.0.0.1\n");
        var d = bag.Single("HACF021");
        Assert.Contains("10.0.0.1", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_least_one_medium_and_one_node_are_required()
    {
        var (_, bag) = Parse("keepalive 1\n");
        Assert.Equal(Severity.Error, bag.Single("HACF021").Severity);
        Assert.Equal(Severity.Error, bag.Single("HACF022").Severity);
    }

    [Theory]
    [InlineData("true", FailbackMode.On)]
    [InlineData("on", FailbackMode.On)]
    [InlineData("Y", FailbackMode.On)]
    [InlineData("1", FailbackMode.On)]
    [InlineData("off", FailbackMode.Off)]
    [InlineData("NO", FailbackMode.Off)]
    [InlineData("n", FailbackMode.Off)]
    [InlineData("false", FailbackMode.Off)]
    [InlineData("0", FailbackMode.Off)]
    [InlineData("legacy", FailbackMode.Legacy)]
    public void Auto_failback_accepts_booleans_and_legacy(string value, FailbackMode expected)
    {
        var (doc, bag) = Parse(Base + "auto_failback " + value + "\n");
        bag.NoErrors();
        Assert.Equal(expected, doc.Spec.AutoFailback);
        Assert.Equal(4, doc.FailbackAt.Line);
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public void Nice_failback_is_strictly_auto_failback_legacy_as_heartbeat_reads_it(string value)
    {
        var (doc, bag) = Parse(Base + "nice_failback " + value + "\n");
        bag.NoErrors();
        Assert.Equal(FailbackMode.Legacy, doc.Spec.AutoFailback);
        var messages = bag.Items.Where(d => d.Code == "HACF053").Select(d => d.Message).ToList();
        Assert.Contains("nice_failback flag is obsolete. Use auto_failback {on, off, legacy} instead.", messages);
        Assert.Contains($"nice_failback {value} has been strictly interpreted as 'auto_failback legacy'", messages);
    }

    [Theory]
    [InlineData("nice_failback on\nauto_failback on\n", FailbackMode.On)]
    [InlineData("auto_failback on\nnice_failback on\n", FailbackMode.Off)]
    [InlineData("auto_failback legacy\nnice_failback on\n", FailbackMode.Legacy)]
    public void Nice_failback_and_auto_failback_apply_in_file_order(string lines, FailbackMode expected)
    {
        var (doc, bag) = Parse(Base + lines);
        bag.NoErrors();
        Assert.Equal(expected, doc.Spec.AutoFailback);
    }

    [Theory]
    [InlineData("keepalive", "HACF046")]
    [InlineData("deadtime \t ", "HACF046")]
    [InlineData("bcast", "HACF046")]
    [InlineData("ping", "HACF046")]
    [InlineData("keepalive 1 2", "HACF025")]
    [InlineData("mcast eth0 239.0.0.1 694 1 0 extra", "HACF018")]
    [InlineData("udp eth0", "HACF045")]
    public void What_Heartbeat_accepts_is_a_warning(string line, string code)
    {
        var (_, bag) = Parse(Base + line + "\n");
        bag.NoErrors();
        Assert.Equal(Severity.Warning, bag.Single(code).Severity);
    }

    [Fact]
    public void Node_names_may_be_separated_by_commas()
    {
        var (doc, bag) = Parse("ucast eth1 10.0.0.2\nnode ovz-node1,ovz-node2\nstonith_host * external/ssh ovz-node1 ovz-node2\n");
        bag.NoErrors();
        Assert.Equal(["ovz-node1", "ovz-node2"], doc.Spec.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void The_legacy_udp_directive_is_a_bcast()
    {
        var (doc, bag) = Parse(Base + "udp eth0\n");
        bag.NoErrors();
        Assert.Contains(doc.Spec.Links, l => l is BroadcastLinkSpec { Interface: "eth0" });
        Assert.Equal("WARNING: directive 'udp' replaced by 'bcast'", bag.Single("HACF045").Message);
    }

    [Theory]
    [InlineData("warntime 0", "HACF054")]
    [InlineData("mcast eth0 239.0.0.1 694 5 0", "HACF018")]
    public void What_Heartbeat_refuses_is_an_error(string line, string code)
    {
        var (_, bag) = Parse(Base + line + "\n");
        Assert.Equal(Severity.Error, bag.Single(code).Severity);
    }

    [Fact]
    public void Stonith_lines_become_fence_devices()
    {
        var (doc, bag) = Parse("bcast eth0\nnode a b\nstonith baytech /etc/ha.d/conf/stonith.baytech\nstonith_host a external/ipmi b 10.0.0.9 admin s3cret lan\nstonith_host * external/ipmi a 10.0.0.8 admin s3cret lan\n");
        bag.NoErrors();
        Assert.DoesNotContain(bag.Items, d => d.Code == "HACF028");
        var f = doc.Spec.Fencing;
        Assert.False(f.Disabled);
        Assert.Equal(["stonith-baytech", "stonith-external/ipmi", "stonith-external/ipmi-2"], f.Devices.Select(d => d.Name));
        Assert.All(f.Devices, d => Assert.Equal(FenceKind.Stonith, d.Kind));
        Assert.Equal("/etc/ha.d/conf/stonith.baytech", f.Devices[0].Parameters["config-file"]);
        Assert.Equal(("a", "external/ipmi"), (f.Devices[1].RunsOn, f.Devices[1].Command));
        Assert.Equal("b 10.0.0.9 admin s3cret lan", f.Devices[1].Parameters["params"]);
        Assert.Null(f.Devices[2].RunsOn);
        Assert.DoesNotContain(bag.Items, d => d.Message.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public void Respawn_logging_cluster_name_and_autojoin_are_read()
    {
        var (doc, bag) = Parse(Base + "respawn hacluster /usr/lib/tool --flag x\nlogfacility local3\nlogfacility none\nlogfile /var/log/x\ncluster prod\nautojoin none\n");
        var spec = doc.Spec;
        Assert.Equal(new RespawnSpec("hacluster", "/usr/lib/tool --flag x"), Assert.Single(spec.Respawn));
        Assert.Null(spec.Logging.Facility);
        Assert.Equal("/var/log/x", spec.Logging.LogFile);
        Assert.Equal("prod", spec.Name);
        Assert.Equal("none", doc.Autojoin);
        Assert.Empty(bag.Errors());
    }

    [Fact]
    public void Comments_anywhere_and_crlf_are_handled()
    {
        var (doc, bag) = Parse("# header\r\n  node a b # two nodes\r\n\tbcast eth0#lan\r\n\r\n");
        bag.NoErrors();
        Assert.Equal(2, doc.Spec.Nodes.Count);
        Assert.Equal("bcast-eth0", Assert.Single(doc.Spec.Links).Name);
    }

    [Fact]
    public void Nul_bytes_invalid_utf8_and_huge_lines_are_errors_not_crashes()
    {
        var huge = new string('x', HbText.MaxLineLength + 10);
        var (_, bag) = Parse(Base + "keep\0alive 1\n" + huge + "\nnode \uFFFD\n");
        Assert.Equal([(4, 5), (6, 6)], bag.Items.Where(d => d.Code == "HACF003").Select(d => (d.Line, d.Column)));
        Assert.Equal(5, bag.Single("HACF002").Line);
    }

    [Fact]
    public void Garbage_stops_after_the_error_cap()
    {
        var text = string.Concat(Enumerable.Repeat("bogus directive\n", 500));
        var (_, bag) = Parse(text);
        Assert.Equal(HbFileReport.MaxErrors + 1, bag.Errors().Count);
        Assert.Equal("HACF041", bag.Errors()[^1].Code);
    }

    [Fact]
    public void Missing_file_is_an_error_naming_the_path()
    {
        using var dir = new HaDirectory();
        var bag = new DiagnosticBag();
        Assert.Null(HaCfReader.Read(dir.File("ha.cf"), NothingLocal, bag));
        var d = bag.Single("HACF001");
        Assert.Contains(dir.File("ha.cf"), d.Message, StringComparison.Ordinal);
    }
}

public sealed class HaCfOrderTests
{
    [Theory]
    [InlineData("node a b\nucast eth0 10.0.0.2\nudpport 700\n", 3)]
    [InlineData("node a b\nserial /dev/ttyS0\nbaud 9600\n", 3)]
    public void A_udpport_or_baud_after_its_media_warns(string text, int line)
    {
        var bag = new DiagnosticBag();
        ClassicTestFiles.ParseHaCf(text, bag);
        var d = bag.Single("HACF043");
        Assert.Equal((Severity.Warning, line), (d.Severity, d.Line));
    }

    [Fact]
    public void A_udpport_before_its_media_does_not_warn()
    {
        var bag = new DiagnosticBag();
        ClassicTestFiles.ParseHaCf("node a b\nudpport 700\nucast eth0 10.0.0.2\nbaud 9600\nserial /dev/ttyS0\n", bag);
        Assert.DoesNotContain(bag.Items, d => d.Code == "HACF043");
    }

    [Fact]
    public void Stonith_host_for_an_unknown_node_warns()
    {
        var bag = new DiagnosticBag();
        ClassicTestFiles.ParseHaCf("node a b\nbcast eth0\nstonith_host c external/ssh a b\n", bag);
        var d = bag.Single("HACF044");
        Assert.Equal((3, 14), (d.Line, d.Column));
    }

    [Fact]
    public void Ipv6_scopes_are_kept_as_written()
    {
        var bag = new DiagnosticBag();
        var doc = ClassicTestFiles.ParseHaCf("node a b\nucast6 eth0 fe80::2%eth0\n", bag);
        Assert.Equal("fe80::2%eth0", Assert.IsType<Tandem.Core.Model.UnicastLinkSpec>(Assert.Single(doc.Spec.Links)).Endpoints[0].Address);
    }
}
