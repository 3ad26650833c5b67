using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Cli.Output;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Daemon.Control;
using Tandem.Daemon.Status;
using Tandem.Membership;
using Xunit;

namespace Tandem.IntegrationTests.Output;

/// <summary>The text the CLI prints, checked on models built in code (no reader involved).</summary>
public sealed class FormatterTests
{
    private static readonly ClusterSpec Seed = new()
    {
        Nodes = [new NodeSpec("ovz-node1"), new NodeSpec("ovz-node2")],
        Timing = new TimingSpec { Keepalive = TimeSpan.FromSeconds(2), Warntime = TimeSpan.FromSeconds(10), Deadtime = TimeSpan.FromSeconds(30), Initdead = TimeSpan.FromSeconds(120) },
        Links =
        [
            new UnicastLinkSpec("ucast-eth0", "eth0", 694, [new LinkEndpoint("192.168.0.1"), new LinkEndpoint("192.168.0.2")]),
            new SerialLinkSpec("serial-ttyS0", "/dev/ttyS0", 19200),
        ],
        Auth = new AuthSpec(1, [new AuthKey(1, AuthMethod.Sha1, "PutYourSuperSecretKeyHere")]),
        Replicated =
        [
            new ReplicatedResourceSpec("r0")
            {
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
            ]),
        ],
        AutoFailback = FailbackMode.Off,
        Sources = ["/etc/ha.d/ha.cf"],
    };

    [Fact]
    public void An_event_is_one_line_in_the_documented_format()
    {
        var ev = new ClusterEvent(5, new DateTimeOffset(2026, 11, 25, 19, 20, 1, 123, TimeSpan.Zero), "ovz-node1", "daemon.started", "daemon", "reason");
        Assert.Equal("2026-11-25T19:20:01.123Z #5 ovz-node1 daemon.started daemon: reason", EventFormatter.Format(ev));
        var local = ev with { Time = new DateTimeOffset(2026, 11, 25, 21, 20, 1, 123, TimeSpan.FromHours(2)) };
        Assert.Equal(EventFormatter.Format(ev), EventFormatter.Format(local)); // always UTC
        var json = JsonNode.Parse(EventFormatter.FormatJson(ev with { Data = new Dictionary<string, string> { ["k"] = "v" } }))!;
        Assert.Equal(5, (long)json["sequence"]!);
        Assert.Equal("v", (string?)json["data"]!["k"]);
    }

    [Fact]
    public void The_summary_names_everything_in_order_and_never_the_secret()
    {
        var text = ClusterSummary.ToText(Seed);
        Assert.DoesNotContain("PutYourSuperSecretKeyHere", text, StringComparison.Ordinal);
        Assert.Contains("ucast-eth0: UDP unicast on eth0, port 694, to 192.168.0.1, 192.168.0.2", text, StringComparison.Ordinal);
        Assert.Contains("serial-ttyS0: serial /dev/ttyS0 at 19200 baud", text, StringComparison.Ordinal);
        Assert.Contains("Timing: keepalive 2s, warntime 10s, deadtime 30s, initdead 120s", text, StringComparison.Ordinal);
        Assert.Contains("Authentication: key 1, sha1 (secret not shown)", text, StringComparison.Ordinal);
        Assert.Contains("ovz-node1: 10.0.0.1:7788, volume 0 /dev/drbd0 on /dev/hda3 (meta-disk internal)", text, StringComparison.Ordinal);
        Assert.Contains("Failback: off", text, StringComparison.Ordinal);
        var drbd = text.IndexOf("1. drbddisk r0", StringComparison.Ordinal);
        var fs = text.IndexOf("2. Filesystem /dev/drbd0 /vz ext3", StringComparison.Ordinal);
        var vz = text.IndexOf("3. vz", StringComparison.Ordinal);
        Assert.True(drbd > 0 && drbd < fs && fs < vz, text);

        var json = JsonSerializer.Serialize(new ConfigCheckDocument(true, ClusterSummary.ToDocument(Seed), []), CliJsonContext.Default.ConfigCheckDocument);
        Assert.DoesNotContain("PutYourSuperSecretKeyHere", json, StringComparison.Ordinal);
        Assert.Equal(["drbddisk", "Filesystem", "vz"], JsonNode.Parse(json)!["summary"]!["groups"]![0]!["resources"]!.AsArray().Select(r => (string?)r!["agent"]));
    }

    [Theory]
    [InlineData(2000, "2s")]
    [InlineData(500, "500ms")]
    [InlineData(1500, "1.5s")]
    [InlineData(120_000, "120s")]
    public void Durations_read_as_the_configuration_files_write_them(int ms, string expected) =>
        Assert.Equal(expected, ClusterSummary.Duration(TimeSpan.FromMilliseconds(ms)));

    [Theory]
    [InlineData(12, "12s")]
    [InlineData(63, "1m 03s")]
    [InlineData(3723, "1h 02m 03s")]
    [InlineData(90_061, "1d 01h 01m 01s")]
    public void Uptime_leaves_out_leading_zero_units(int seconds, string expected) =>
        Assert.Equal(expected, StatusFormatter.Uptime(TimeSpan.FromSeconds(seconds)));

    private static StatusDocument Status() => new()
    {
        Node = "ovz-node1",
        Cluster = "linux-ha",
        Version = "1.0.0",
        Pid = 42,
        ConfigSources = ["/etc/ha.d/ha.cf", "/etc/drbd.conf"],
        StartedAt = new DateTimeOffset(2026, 11, 25, 19, 20, 1, TimeSpan.Zero).AddTicks(1234567),
        UptimeSeconds = 3723,
        StateDirectory = "/var/lib/tandem",
        RunDirectory = "/run/tandem",
        LastEvent = 7,
    };

    [Fact]
    public void Status_shows_identity_then_one_heading_per_section()
    {
        var status = Status();
        status.Sections["links"] = Array.Empty<HeartbeatLinkStatus>();
        status.Sections["peers"] = new[] { new PeerStatus("ovz-node2", "active", 42, false, [new PeerLinkSnapshot("net1", "up", 42, 10)]) };
        status.Sections["connectivity"] = new SectionError("no ping nodes");
        var text = StatusFormatter.Format(StatusDocument.Parse(status.ToJson())).ReplaceLineEndings("\n");
        Assert.StartsWith("Node:          ovz-node1 (cluster linux-ha)\n", text, StringComparison.Ordinal);
        Assert.Contains("Configuration: /etc/ha.d/ha.cf, /etc/drbd.conf", text, StringComparison.Ordinal);
        Assert.Contains("Started:       2026-11-25 19:20:01Z, up 1h 02m 03s", text, StringComparison.Ordinal);
        Assert.Contains("Links (0):\n  (none)", text, StringComparison.Ordinal);
        Assert.Contains("Peers (1):\n  * ovz-node2: active, heard 42 ms ago; links net1 up", text, StringComparison.Ordinal);
        Assert.Contains("Connectivity:\n  error: no ping nodes", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 13 (what operators read): every section of a real node's status, drawn as text, has no
    /// JSON left in it (before, nested members such as the membership timing were printed as raw
    /// JSON, and times carried seven digits of fractions), and the labels of a block line up.
    /// </summary>
    [Fact]
    public void Status_text_has_no_raw_json_no_fractions_of_seconds_and_aligned_labels()
    {
        var at = new DateTimeOffset(2026, 11, 25, 19, 20, 1, TimeSpan.Zero).AddTicks(1234567);
        var status = Status();
        status.Sections["links"] = new[] { new HeartbeatLinkStatus("net1", true, null, new Dictionary<string, string> { ["ovz-node2"] = "up" }, 0) };
        status.Sections["peers"] = new[] { new PeerStatus("ovz-node2", "active", 12_345, false, [new PeerLinkSnapshot("net1", "up", 12_345, 10)]) };
        status.Sections["volumes"] = new[]
        {
            new VolumeStatus
            {
                Name = "r0", Resource = "r0", Disk = "/dev/hda3", State = "exported", Size = 64L << 20, Socket = "/run/tandem/nbd/r0.sock", ClientCount = 1,
                Clients = [new Tandem.Nbd.NbdClientInfo(1, "unix", at, "r0", true)],
                Replication = new Tandem.Replication.ReplicaStatus { Resource = "r0", State = "up", Role = "Primary", PeerRole = "Secondary", Disk = "UpToDate", PeerDisk = "UpToDate", Connection = "Connected" },
            },
        };
        status.Sections["groups"] = new[]
        {
            new Tandem.Resources.Groups.GroupStatus
            {
                Name = "g", State = "running", RunningOn = "ovz-node1", RunningSince = at,
                Resources = [new Tandem.Resources.Groups.GroupResourceStatus("ip", "IPaddr", "running", "monitor failed", at, 1)],
            },
        };
        status.Sections["membership"] = new MembershipCounters("active", 7, new MembershipTimings(2000, 10_000, 30_000, 120_000), 0, 3624,
            new Dictionary<string, long> { ["bad-mac"] = 3 }, 0, new ConnectivitySnapshot(1, 1, [new PingSnapshot("10.0.0.254", "up")], new Dictionary<string, int>(), "keep"), null);
        status.Sections["fencing"] = new Tandem.Fencing.FencingStatus(true, [], [],
            new Dictionary<string, Tandem.Fencing.FenceOutcomeStatus> { ["ovz-node2"] = new(at, true, "ipmi", "off") });
        status.Sections["failover"] = new FailoverStatus("pair", "ovz-node2", "up", "off", "enabled", true, null);
        status.Sections["future"] = new MembershipCounters("disabled", null, new MembershipTimings(1, 2, 3, 4), null, null, null, null, null, null);

        var text = StatusFormatter.Format(StatusDocument.Parse(status.ToJson())).ReplaceLineEndings("\n");

        Assert.DoesNotContain("{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\d\d:\d\d:\d\d[.,]\d", text);
        Assert.Contains("since 2026-11-25 19:20:01Z", text, StringComparison.Ordinal);
        Assert.Contains("  timing:          keepalive 2000ms, warntime 10000ms, deadtime 30000ms, initdead 120000ms", text, StringComparison.Ordinal);
        Assert.Contains("  packets:         3624 accepted, rejected 3 bad-mac, 0 receive errors", text, StringComparison.Ordinal);
        Assert.Contains("  auto_failback: off", text, StringComparison.Ordinal);
        Assert.Contains("  timingMs:\n    keepalive: 1\n", text, StringComparison.Ordinal);
        var header = text.Split('\n').TakeWhile(l => l.Length > 0).ToList();
        Assert.Equal(6, header.Count);
        Assert.Single(header.Select(l => l.IndexOf(':', StringComparison.Ordinal) + 1 + l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].TakeWhile(c => c == ' ').Count()).Distinct());
    }
}
