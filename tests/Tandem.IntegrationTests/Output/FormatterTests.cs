using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Cli.Output;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Daemon.Control;
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

    [Fact]
    public void Status_shows_identity_then_one_heading_per_section()
    {
        var status = new StatusDocument
        {
            Node = "ovz-node1",
            Cluster = "linux-ha",
            Version = "1.0.0",
            Pid = 42,
            ConfigSources = ["/etc/ha.d/ha.cf", "/etc/drbd.conf"],
            StartedAt = new DateTimeOffset(2026, 11, 25, 19, 20, 1, TimeSpan.Zero),
            UptimeSeconds = 3723,
            StateDirectory = "/var/lib/tandem",
            RunDirectory = "/run/tandem",
            LastEvent = 7,
            Sections = new JsonObject
            {
                ["links"] = new JsonArray(),
                ["peers"] = new JsonArray(new JsonObject { ["name"] = "ovz-node2", ["state"] = "up", ["links"] = 2 }),
                ["connectivity"] = new JsonObject { ["score"] = 1 },
            },
        };
        var text = StatusFormatter.Format(StatusDocument.Parse(status.ToJson()));
        Assert.StartsWith("Node: ovz-node1 (cluster linux-ha)\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Configuration: /etc/ha.d/ha.cf, /etc/drbd.conf", text, StringComparison.Ordinal);
        Assert.Contains("Started: 2026-11-25 19:20:01Z, up 1h 02m 03s", text, StringComparison.Ordinal);
        Assert.Contains("Links (0):\n  (none)", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Peers (1):\n  * ovz-node2: state=up links=2", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Connectivity:\n  score: 1", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }
}
