using Xunit;
using Tandem.Config.Classic;
using Tandem.Config.Classic.Drbd;
using Tandem.Core.Model;
using static Tandem.Config.Tests.Classic.Drbd.DrbdTestHelpers;

namespace Tandem.Config.Tests.Classic.Drbd;

public class DrbdConfReaderTests
{
    [Fact]
    public void Two_node_resource_reads_cleanly()
    {
        var (resources, bag) = Parse(TwoNode);
        bag.NoErrors();
        Assert.Empty(bag.Items);
        var r = Assert.Single(resources);
        Assert.Equal(ReplicationProtocol.C, r.Protocol);
        Assert.Equal("10.0.0.2:7788", r.FindHost("bravo")!.Address);
        Assert.Equal(new VolumeSpec(0, "/dev/drbd0", "/dev/sda3", "internal"), r.FindHost("alpha")!.Volumes[0]);
    }

    [Fact]
    public void Style_84_reads_protocol_and_options_from_net_and_disk()
    {
        var (resources, bag) = Parse("""
            global { usage-count no; }
            common {
              net { protocol B; cram-hmac-alg sha1; shared-secret "s3cr3t"; timeout 60; ping-timeout 5; ping-int 10; connect-int 10; ko-count 4; }
              disk { resync-rate 40M; al-extents 1801; c-plan-ahead 20; c-max-rate 100M; disk-flushes no; md-flushes no; }
              startup { wfc-timeout 30; degr-wfc-timeout 120; outdated-wfc-timeout 5; become-primary-on alpha; }
            }
            resource r0 {
              device /dev/drbd1;
              disk /dev/vg/r0;
              meta-disk internal;
              net { verify-alg sha1; csums-alg md5; allow-two-primaries no; after-sb-0pri discard-least-changes; }
              disk { on-io-error pass_on; fencing resource-only; }
              handlers { fence-peer "/usr/lib/drbd/crm-fence-peer.sh"; split-brain "/usr/lib/drbd/notify-split-brain.sh root"; }
              on alpha { address 192.168.1.1:7789; }
              on bravo { address 192.168.1.2:7789; }
            }
            """);
        bag.NoErrors();
        var usage = bag.Single(DrbdCodes.NotActedOn);
        Assert.Equal(Severity.Info, usage.Severity);
        var r = Assert.Single(resources);
        Assert.Equal(ReplicationProtocol.B, r.Protocol);
        Assert.Equal("sha1", r.Net.CramHmacAlg);
        Assert.Equal("s3cr3t", r.Net.SharedSecret);
        Assert.Equal(TimeSpan.FromSeconds(6), r.Net.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), r.Net.PingTimeout);
        Assert.Equal(4, r.Net.KoCount);
        Assert.Equal("sha1", r.Net.VerifyAlg);
        Assert.Equal("md5", r.Net.CsumsAlg);
        Assert.Equal("discard-least-changes", r.Net.AfterSb0Pri);
        Assert.Equal(40L << 20, r.Disk.ResyncRate);
        Assert.Equal(1801, r.Disk.AlExtents);
        Assert.Equal("pass_on", r.Disk.OnIoError);
        Assert.Equal("resource-only", r.Disk.Fencing);
        Assert.Equal("no", r.Disk.Other["disk-flushes"]);
        Assert.Equal("100M", r.Disk.Other["c-max-rate"]);
        Assert.Equal(TimeSpan.FromSeconds(30), r.Startup.WfcTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), r.Startup.OutdatedWfcTimeout);
        Assert.Equal("alpha", r.Startup.Other["become-primary-on"]);
        Assert.Equal("/usr/lib/drbd/crm-fence-peer.sh", r.Handlers["fence-peer"]);
        Assert.All(r.Hosts, h => Assert.Equal(new VolumeSpec(0, "/dev/drbd1", "/dev/vg/r0", "internal"), h.Volumes[0]));
    }

    [Fact]
    public void Style_9_two_node_with_connection_mesh_options_and_volumes()
    {
        var (resources, bag) = Parse("""
            resource r0 {
              options { quorum majority; on-no-quorum io-error; auto-promote yes; }
              net { protocol C; fencing resource-and-stonith; }
              volume 0 { device minor 0; disk /dev/vg/a; meta-disk internal; }
              volume 1 { device /dev/drbd_r0_1 minor 1; disk /dev/vg/b; meta-disk internal; disk { c-plan-ahead 0; resync-rate 10M; } }
              on alpha { address ipv4 10.1.1.1:7000; node-id 0; }
              on bravo { address ipv4 10.1.1.2:7000; node-id 1; }
              connection-mesh { hosts alpha bravo; net { ping-timeout 10; } }
            }
            """);
        bag.NoErrors();
        var r = Assert.Single(resources);
        Assert.Equal("majority", r.Options["quorum"]);
        Assert.Equal("yes", r.Options["auto-promote"]);
        Assert.Equal("resource-and-stonith", r.Disk.Fencing);
        Assert.Equal(TimeSpan.FromSeconds(1), r.Net.PingTimeout);
        var alpha = r.FindHost("alpha")!;
        Assert.Equal(0, alpha.NodeId);
        Assert.Equal(1, r.FindHost("bravo")!.NodeId);
        Assert.Equal(2, alpha.Volumes.Count);
        Assert.Equal("/dev/drbd0", alpha.Volumes[0].Device);
        Assert.Null(alpha.Volumes[0].DiskOptions);
        Assert.Equal("/dev/drbd_r0_1", alpha.Volumes[1].Device);
        Assert.Equal(10L << 20, alpha.Volumes[1].DiskOptions!.ResyncRate);
        Assert.Equal("0", alpha.Volumes[1].DiskOptions!.Other["c-plan-ahead"]);
        Assert.Equal(250L * 1024, r.Disk.ResyncRate);
    }

    [Fact]
    public void Connection_section_gives_the_hosts_and_addresses()
    {
        var (resources, bag) = Parse("""
            resource r9 {
              device minor 3; disk /dev/sdb1; meta-disk internal;
              on alpha { node-id 0; }
              on bravo { node-id 1; }
              connection {
                path { host alpha address 10.2.0.1:7003; host bravo address 10.2.0.2:7003; }
                net { protocol A; }
              }
            }
            """);
        bag.NoErrors();
        var r = Assert.Single(resources);
        Assert.Equal(ReplicationProtocol.A, r.Protocol);
        Assert.Equal("10.2.0.1:7003", r.FindHost("alpha")!.Address);
        Assert.Equal("/dev/drbd3", r.FindHost("bravo")!.Volumes[0].Device);
    }

    [Fact]
    public void Connection_host_statements_alone_give_two_hosts()
    {
        var (resources, bag) = Parse("""
            resource r1 {
              device /dev/drbd1; disk /dev/sdb1; meta-disk internal;
              connection { host alpha address 10.2.0.1:7001; host bravo address 10.2.0.2:7001; }
            }
            """);
        bag.NoErrors();
        Assert.Equal(["alpha", "bravo"], Assert.Single(resources).Hosts.Select(h => h.Name));
    }

    [Fact]
    public void Common_sections_are_inherited_and_resource_values_win()
    {
        var (resources, bag) = Parse("""
            common { protocol A; syncer { rate 10M; } net { after-sb-1pri consensus; } handlers { split-brain "a"; } }
            """ + TwoNode.Replace("  protocol C;\n", "  disk { resync-rate 20M; }\n  handlers { split-brain \"b\"; }\n", StringComparison.Ordinal));
        bag.NoErrors();
        var r = Assert.Single(resources);
        Assert.Equal(ReplicationProtocol.A, r.Protocol);
        Assert.Equal(20L << 20, r.Disk.ResyncRate);
        Assert.Equal("consensus", r.Net.AfterSb1Pri);
        Assert.Equal("b", r.Handlers["split-brain"]);
    }

    [Fact]
    public void Resource_level_statements_are_inherited_by_hosts_and_hosts_override()
    {
        var (resources, bag) = Parse("""
            resource r0 {
              device /dev/drbd0; disk /dev/sda3; meta-disk internal;
              on alpha { address 10.0.0.1:7788; }
              on bravo { address 10.0.0.2:7788; disk /dev/sdb3; meta-disk /dev/sdc1 [2]; }
            }
            """);
        bag.NoErrors();
        var r = Assert.Single(resources);
        Assert.Equal(new VolumeSpec(0, "/dev/drbd0", "/dev/sda3", "internal"), r.FindHost("alpha")!.Volumes[0]);
        Assert.Equal(new VolumeSpec(0, "/dev/drbd0", "/dev/sdb3", "/dev/sdc1[2]"), r.FindHost("bravo")!.Volumes[0]);
    }

    [Theory]
    [InlineData("syncer { verify-alg crc32c; csums-alg sha1; al-extents 67; rate 100; }", 100 * 1024L, 67, "crc32c", "sha1")]
    [InlineData("disk { resync-rate 100; al-extents 67; } net { verify-alg crc32c; csums-alg sha1; }", 100 * 1024L, 67, "crc32c", "sha1")]
    [InlineData("syncer { rate 1G; }", 1L << 30, 1237, null, null)]
    [InlineData("syncer { rate 512k; }", 512L * 1024, 1237, null, null)]
    public void Syncer_and_its_84_equivalents_agree(string sections, long rate, int al, string? verify, string? csums)
    {
        var (resources, bag) = Parse(WithResourceBody(sections));
        bag.NoErrors();
        var r = Assert.Single(resources);
        Assert.Equal(rate, r.Disk.ResyncRate);
        Assert.Equal(al, r.Disk.AlExtents);
        Assert.Equal(verify, r.Net.VerifyAlg);
        Assert.Equal(csums, r.Net.CsumsAlg);
        Assert.Equal(sections.StartsWith("syncer", StringComparison.Ordinal), bag.Items.Any(d => d.Code == DrbdCodes.SyncerSection));
    }

    [Theory]
    [InlineData("disk { no-disk-flushes; no-md-flushes; no-disk-barrier; }", "disk-flushes")]
    [InlineData("net { no-tcp-cork; }", "tcp-cork")]
    public void Negations_of_83_read_as_no_with_a_note(string section, string option)
    {
        var (resources, bag) = Parse(WithResourceBody(section));
        bag.NoErrors();
        var r = Assert.Single(resources);
        var other = option == "tcp-cork" ? r.Net.Other : r.Disk.Other;
        Assert.Equal("no", other[option]);
        Assert.Contains(bag.Items, d => d.Code == DrbdCodes.LegacyKeyword && d.Message.Contains("8.3", StringComparison.Ordinal));
    }

    [Fact]
    public void Fencing_in_net_is_the_drbd9_place_and_lands_in_disk_fencing()
    {
        var (resources, bag) = Parse(WithResourceBody("net { fencing resource-only; }"));
        bag.NoErrors();
        Assert.Equal("resource-only", Assert.Single(resources).Disk.Fencing);
    }

    [Fact]
    public void Global_options_are_accepted_with_a_note_each()
    {
        var (_, bag) = Parse("global { usage-count ask; minor-count 8; dialog-refresh 1; disable-ip-verification; udev-always-use-vnr; }\n" + TwoNode);
        bag.NoErrors();
        Assert.Equal(5, bag.Items.Count(d => d.Code == DrbdCodes.NotActedOn && d.Severity == Severity.Info));
    }

    [Fact]
    public void Skip_ignores_the_whole_section_even_if_it_is_garbage()
    {
        var (resources, bag) = Parse("skip resource old { this is { not valid ;; at all } }\nskip { global { x; } }\n" + TwoNode);
        bag.NoErrors();
        Assert.Single(resources);
    }

    [Fact]
    public void Unknown_keyword_is_an_error_with_did_you_mean()
    {
        var (_, bag) = Parse(WithResourceBody("  net { after-sb-0prio disconnect; }"));
        var d = bag.Single(DrbdCodes.UnknownKeyword);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Equal(3, d.Line);
        Assert.Equal(9, d.Column);
        Assert.Contains("did you mean 'after-sb-0pri'", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Misplaced_keyword_names_its_section()
    {
        var (_, bag) = Parse(WithResourceBody("  net { resync-rate 10M; }"));
        var d = bag.Single(DrbdCodes.MisplacedKeyword);
        Assert.Contains("'disk'", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_semicolon_names_the_statement_and_the_rest_is_still_read()
    {
        var (resources, bag) = Parse(ReplaceFirst(TwoNode, "device /dev/drbd0;\n    disk /dev/sda3;", "device /dev/drbd0\n    disk /dev/sda3;"));
        var d = bag.Single(DrbdCodes.ExpectedSemicolon);
        Assert.Contains("expected ';' after 'device /dev/drbd0'", d.Message, StringComparison.Ordinal);
        Assert.Equal(5, d.Line);
        Assert.Single(bag.Errors());
        Assert.Equal("/dev/sda3", Assert.Single(resources).FindHost("alpha")!.Volumes[0].Disk);
    }

    [Fact]
    public void Missing_semicolon_before_a_closing_brace()
    {
        var (_, bag) = Parse("resource r0 { startup { wfc-timeout 10 } }");
        var d = Assert.Single(bag.Items, x => x.Code == DrbdCodes.ExpectedSemicolon);
        Assert.Contains("expected ';' after 'wfc-timeout 10', found }", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("net { protocol D; }", DrbdCodes.BadEnumValue)]
    [InlineData("net { after-sb-0pri consensus; }", DrbdCodes.BadEnumValue)]
    [InlineData("net { after-sb-1pri discard-zero-changes; }", DrbdCodes.BadEnumValue)]
    [InlineData("net { after-sb-2pri discard-secondary; }", DrbdCodes.BadEnumValue)]
    [InlineData("disk { on-io-error panic; }", DrbdCodes.BadEnumValue)]
    [InlineData("disk { on-io-error explode; }", DrbdCodes.BadEnumValue)]
    [InlineData("disk { fencing stonith; }", DrbdCodes.BadEnumValue)]
    [InlineData("net { allow-two-primaries maybe; }", DrbdCodes.BadEnumValue)]
    [InlineData("options { quorum most; }", DrbdCodes.BadEnumValue)]
    [InlineData("net { timeout 0; }", DrbdCodes.BadNumber)]
    [InlineData("net { timeout 6s; }", DrbdCodes.BadNumber)]
    [InlineData("net { ko-count 99999999999999999999999; }", DrbdCodes.BadNumber)]
    [InlineData("disk { resync-rate fast; }", DrbdCodes.BadNumber)]
    [InlineData("disk { resync-rate 99999999999999G; }", DrbdCodes.BadNumber)]
    [InlineData("disk { al-extents 1; }", DrbdCodes.BadNumber)]
    [InlineData("startup { wfc-timeout -1; }", DrbdCodes.BadNumber)]
    [InlineData("handlers { split-brian \"x\"; }", DrbdCodes.UnknownKeyword)]
    [InlineData("net { protocol C; } net { protocol C; } floating 10.0.0.9:7788 { }", DrbdCodes.Unsupported)]
    [InlineData("net { allow-two-primaries; protocol A; }", DrbdCodes.Conflict)]
    [InlineData("protocol A; disk { fencing resource-and-stonith; }", DrbdCodes.Conflict)]
    [InlineData("net { on-congestion pull-ahead; }", DrbdCodes.Conflict)]
    [InlineData("net;", DrbdCodes.BadShape)]
    [InlineData("net { timeout { } }", DrbdCodes.BadShape)]
    public void Bad_values_are_errors_with_their_code(string extra, string code)
    {
        var (_, bag) = Parse(WithResourceBody(extra));
        var d = Assert.Single(bag.Errors());
        Assert.Equal(code, d.Code);
        Assert.Equal(3, d.Line);
        Assert.NotNull(d.Hint);
    }

    [Fact]
    public void Protocol_letter_in_either_case()
    {
        var (resources, bag) = Parse(TwoNode.Replace("protocol C;", "protocol b;", StringComparison.Ordinal));
        bag.NoErrors();
        Assert.Equal(ReplicationProtocol.B, Assert.Single(resources).Protocol);
    }

    [Fact]
    public void Discard_node_policy_is_accepted()
    {
        var (resources, bag) = Parse(WithResourceBody("net { after-sb-0pri discard-node-alpha; }"));
        bag.NoErrors();
        Assert.Equal("discard-node-alpha", Assert.Single(resources).Net.AfterSb0Pri);
    }

    [Fact]
    public void Outdate_peer_handler_is_read_as_fence_peer()
    {
        var (resources, bag) = Parse(WithResourceBody("handlers { outdate-peer \"/usr/lib/heartbeat/drbd-peer-outdater\"; }"));
        bag.NoErrors();
        Assert.Equal("/usr/lib/heartbeat/drbd-peer-outdater", Assert.Single(resources).Handlers["fence-peer"]);
        Assert.Contains("8.0", bag.Single(DrbdCodes.LegacyKeyword).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resource_needs_two_hosts()
    {
        var (_, bag) = Parse("resource r0 {\n on alpha { device /dev/drbd0; disk /dev/sda3; address 10.0.0.1:7788; meta-disk internal; }\n}");
        var d = bag.Single(DrbdCodes.HostCount);
        Assert.Equal(1, d.Line);
        Assert.Equal(10, d.Column);
    }

    [Theory]
    [InlineData("device /dev/drbd0;\n", "device")]
    [InlineData("disk /dev/sda3;\n", "disk")]
    [InlineData("address 10.0.0.1:7788;\n", "address")]
    [InlineData("meta-disk internal;\n", "meta-disk")]
    public void Each_host_needs_address_device_disk_meta_disk(string removed, string name)
    {
        var text = TwoNode;
        var at = text.IndexOf(removed, StringComparison.Ordinal);
        text = text.Remove(at, removed.Length);
        var (_, bag) = Parse(text);
        var d = bag.Single(DrbdCodes.MissingStatement);
        Assert.Contains($"'{name}'", d.Message, StringComparison.Ordinal);
        Assert.Contains("'alpha'", d.Message, StringComparison.Ordinal);
        Assert.Equal(3, d.Line);
    }

    [Fact]
    public void Diskless_host_needs_no_meta_disk()
    {
        var (resources, bag) = Parse(TwoNode.Replace("disk /dev/sda3;\n    address 10.0.0.2:7788;\n    meta-disk internal;", "disk none;\n    address 10.0.0.2:7788;", StringComparison.Ordinal));
        bag.NoErrors();
        Assert.Equal("none", Assert.Single(resources).FindHost("bravo")!.Volumes[0].Disk);
    }

    [Fact]
    public void Duplicate_resource_names_and_addresses_are_errors()
    {
        var (_, bag) = Parse(TwoNode + "\n" + TwoNode);
        var dup = bag.Single(DrbdCodes.DuplicateResource);
        Assert.Equal(16, dup.Line);
        var (_, bag2) = Parse(TwoNode + "\n" + TwoNode.Replace("r0", "r1", StringComparison.Ordinal).Replace("drbd0", "drbd1", StringComparison.Ordinal));
        Assert.Equal(2, bag2.Items.Count(d => d.Code == DrbdCodes.DuplicateAddress));
        Assert.Equal(2, bag2.Errors().Count());
    }

    [Fact]
    public void Same_device_in_two_resources_on_one_host_is_an_error()
    {
        var (_, bag) = Parse(TwoNode + "\n" + TwoNode.Replace("r0", "r1", StringComparison.Ordinal).Replace("7788", "7789", StringComparison.Ordinal));
        Assert.Equal(2, bag.Items.Count(d => d.Code == DrbdCodes.Duplicate));
    }

    [Theory]
    [InlineData("10.0.0.1:0", DrbdCodes.PortOutOfRange)]
    [InlineData("10.0.0.1:65536", DrbdCodes.PortOutOfRange)]
    [InlineData("10.0.0.1:99999999999999999999999", DrbdCodes.PortOutOfRange)]
    [InlineData("10.0.0.1", DrbdCodes.BadAddress)]
    [InlineData("alpha:7788", DrbdCodes.BadAddress)]
    [InlineData("10.0.1:7788", DrbdCodes.BadAddress)]
    [InlineData("fd00::1:7788", DrbdCodes.BadAddress)]
    [InlineData("ipv6 10.0.0.1:7788", DrbdCodes.BadAddress)]
    [InlineData("10.0.0.1:port", DrbdCodes.BadAddress)]
    public void Bad_addresses(string address, string code)
    {
        var (_, bag) = Parse(TwoNode.Replace("10.0.0.1:7788", address, StringComparison.Ordinal));
        var d = Assert.Single(bag.Errors());
        Assert.Equal(code, d.Code);
        Assert.Equal(6, d.Line);
    }

    [Theory]
    [InlineData("ipv6 [fd00::1]:7788", "[fd00::1]:7788")]
    [InlineData("[fd00::1]:7788", "[fd00::1]:7788")]
    [InlineData("ipv4 10.0.0.1:7788", "10.0.0.1:7788")]
    [InlineData("sdp 10.0.0.1:7788", "10.0.0.1:7788")]
    public void Good_addresses(string address, string expected)
    {
        var (resources, bag) = Parse(TwoNode.Replace("10.0.0.1:7788", address, StringComparison.Ordinal));
        bag.NoErrors();
        Assert.Equal(expected, Assert.Single(resources).FindHost("alpha")!.Address);
    }

    [Theory]
    [InlineData("device minor 7;", "/dev/drbd7")]
    [InlineData("device /dev/drbd_data minor 7;", "/dev/drbd_data")]
    [InlineData("device /dev/drbd12;", "/dev/drbd12")]
    public void Device_forms(string device, string expected)
    {
        var (resources, bag) = Parse(TwoNode.Replace("device /dev/drbd0;", device, StringComparison.Ordinal));
        bag.NoErrors();
        Assert.All(Assert.Single(resources).Hosts, h => Assert.Equal(expected, h.Volumes[0].Device));
    }

    [Theory]
    [InlineData("device /dev/data;")]
    [InlineData("device drbd0;")]
    [InlineData("device minor x;")]
    [InlineData("meta-disk /dev/sdb1[x];")]
    [InlineData("meta-disk sdb1;")]
    [InlineData("disk sda3;")]
    public void Bad_device_disk_meta_disk_forms(string statement)
    {
        var original = statement.StartsWith("device", StringComparison.Ordinal) ? "device /dev/drbd0;"
            : statement.StartsWith("meta", StringComparison.Ordinal) ? "meta-disk internal;" : "disk /dev/sda3;";
        var (_, bag) = Parse(ReplaceFirst(TwoNode, original, statement));
        var d = Assert.Single(bag.Errors());
        Assert.True(d.Code is DrbdCodes.BadPath or DrbdCodes.BadNumber, d.ToString());
        Assert.Equal(original.StartsWith("device", StringComparison.Ordinal) ? 4 : original.StartsWith("disk", StringComparison.Ordinal) ? 5 : 7, d.Line);
    }

    [Fact]
    public void Seed_style_incon_degr_cmd_is_a_note_not_an_error()
    {
        var (_, bag) = Parse(WithResourceBody("  incon-degr-cmd \"halt -f\";"));
        bag.NoErrors();
        var d = bag.Single(DrbdCodes.LegacyKeyword);
        Assert.Equal(Severity.Info, d.Severity);
        Assert.Contains("8.4", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_option_warns_and_later_wins()
    {
        var (resources, bag) = Parse(WithResourceBody("syncer { rate 10M; } disk { resync-rate 20M; }"));
        bag.NoErrors();
        Assert.Equal(Severity.Warning, bag.Single(DrbdCodes.DuplicateOption).Severity);
        Assert.Equal(20L << 20, Assert.Single(resources).Disk.ResyncRate);
    }

    [Fact]
    public void Empty_statement_is_a_warning()
    {
        var (_, bag) = Parse(TwoNode.Replace("protocol C;", "protocol C;;", StringComparison.Ordinal));
        bag.NoErrors();
        Assert.Equal(Severity.Warning, bag.Single(DrbdCodes.EmptyStatement).Severity);
    }

    [Fact]
    public void Strings_with_escapes()
    {
        var (resources, bag) = Parse(WithResourceBody("handlers { split-brain \"echo \\\"a\\\\b\\\" # not a comment\"; }"));
        bag.NoErrors();
        Assert.Equal("echo \"a\\b\" # not a comment", Assert.Single(resources).Handlers["split-brain"]);
    }

    [Fact]
    public void Top_level_garbage_is_located()
    {
        var (_, bag) = Parse("resorce r0 { }\n");
        var d = bag.Single(DrbdCodes.UnknownKeyword);
        Assert.Equal((1, 1), (d.Line, d.Column));
        Assert.Contains("did you mean 'resource'", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_section_outside_a_resource_is_misplaced()
    {
        var (_, bag) = Parse("on alpha { address 10.0.0.1:7788; }\n");
        var d = bag.Single(DrbdCodes.MisplacedKeyword);
        Assert.Equal("'on' is not allowed at the top level", d.Message);
        Assert.Contains("'resource'", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_reports_a_missing_file()
    {
        var bag = new DiagnosticBag();
        var resources = DrbdConfReader.Read("/nonexistent/tandem/drbd.conf", bag);
        Assert.Empty(resources);
        Assert.Equal(DrbdCodes.CannotRead, Assert.Single(bag.Items).Code);
    }

    [Fact]
    public void Diagnostic_formats_with_file_line_column()
    {
        var (_, bag) = Parse("resource r0 { device /dev/drbd0 }", fileName: "/etc/drbd.d/r0.res");
        var d = bag.Single(DrbdCodes.ExpectedSemicolon);
        Assert.StartsWith("/etc/drbd.d/r0.res:1:33: error DRBD004: expected ';' after 'device /dev/drbd0'", d.ToString(), StringComparison.Ordinal);
    }
}

public class DrbdLegacyKeywordTests
{
    [Theory]
    [InlineData("net { on-disconnect reconnect; }", "0.7/8.0")]
    [InlineData("syncer { group 1; }", "0.7")]
    [InlineData("syncer { after r9; }", null)]
    [InlineData("syncer { delay-probe-volume 16k; }", "8.3")]
    [InlineData("disk { use-bmbv; }", "8.3")]
    [InlineData("disk { max-bio-bvecs 1; }", "8.3/8.4")]
    [InlineData("net { unplug-watermark 128; }", "8.3/8.4")]
    [InlineData("on alpha2 { flexible-meta-disk /dev/sdc1; }", "8.0")]
    public void Old_keywords_are_notes_naming_the_version(string extra, string? version)
    {
        var text = extra.StartsWith("on ", StringComparison.Ordinal)
            ? DrbdTestHelpers.TwoNode.Replace("meta-disk internal;\n  }\n  on bravo", "\n  }\n  on bravo", StringComparison.Ordinal)
                .Replace("on alpha {", "on alpha {\n    flexible-meta-disk /dev/sdc1;", StringComparison.Ordinal)
            : DrbdTestHelpers.WithResourceBody(extra);
        var (resources, bag) = DrbdTestHelpers.Parse(text);
        bag.NoErrors();
        Assert.Single(resources);
        if (version is not null)
        {
            Assert.Contains(bag.Items, d => d.Code == DrbdCodes.LegacyKeyword && d.Severity == Severity.Info && d.Message.Contains(version, StringComparison.Ordinal));
        }
        if (extra.Contains("after r9", StringComparison.Ordinal))
        {
            Assert.Equal("r9", resources[0].Disk.Other["resync-after"]);
        }
        if (extra.StartsWith("on ", StringComparison.Ordinal))
        {
            Assert.Equal("/dev/sdc1", resources[0].FindHost("alpha")!.Volumes[0].MetaDisk);
        }
    }

    [Fact]
    public void Includes_resolve_to_nothing_without_a_reader()
    {
        var bag = new DiagnosticBag();
        var resources = DrbdConf.Parse("include \"/etc/drbd.d/*.res\";\n" + DrbdTestHelpers.TwoNode, "drbd.conf", bag, null);
        DrbdTestHelpers.NoErrors(bag);
        Assert.Single(resources);
    }
}
