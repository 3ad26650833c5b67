using CsCheck;
using Tandem.Config.Classic;
using Tandem.Core.Model;
using Xunit;
using static Tandem.Config.Tests.Classic.ClassicTestFiles;

namespace Tandem.Config.Tests.Classic;

public sealed class ClassicPropertyTests
{
    private static readonly string[] s_words =
    [
        "node", "ucast", "bcast", "mcast", "serial", "keepalive", "deadtime", "initdead", "warntime", "udpport", "baud",
        "auto_failback", "stonith_host", "ping", "ping_group", "respawn", "crm", "auth", "1", "sha1", "crc", "md5", "16",
        "eth0", "10.0.0.2", "239.192.0.1", "/dev/ttyS0", "2", "30", "2s", "500ms", "on", "legacy", "ovz-node1", "ovz-node2",
        "drbddisk::r0", "Filesystem::/dev/drbd0::/vz::ext3", "10.0.0.9/24/eth0", "IPaddr::", "::", "vz", "#", "\\",
        " ", "  ", "\t", "\n", "\n", "\r\n", "\0", "\uFFFD", "é", "x",
    ];

    private static readonly Gen<string> s_text = Gen.OneOf(
        Gen.OneOf(s_words).Array[0, 60].Select(a => string.Concat(a)),
        Gen.Char.Array[0, 300].Select(a => new string(a)));

    [Fact]
    public void Arbitrary_ha_cf_text_never_throws_and_a_clean_result_is_complete()
    {
        s_text.Sample(text =>
        {
            var bag = new DiagnosticBag();
            var doc = HaCfReader.Parse(text, "ha.cf", Node1IsLocal, bag);
            if (!bag.HasErrors)
            {
                Assert.NotEmpty(doc.Spec.Nodes);
                Assert.NotEmpty(doc.Spec.Links);
                Assert.True(doc.Spec.Timing.Deadtime > 2 * doc.Spec.Timing.Keepalive);
            }
            Assert.All(bag.Items, d => Assert.True(d.Line >= 0 && d.Column >= 0));
        }, iter: 3000);
    }

    [Fact]
    public void Arbitrary_authkeys_text_gives_keys_or_errors()
    {
        s_text.Sample(text =>
        {
            var bag = new DiagnosticBag();
            var spec = AuthKeysReader.Parse(text, "authkeys", allowInsecure: text.Length % 2 == 0, bag);
            Assert.Equal(spec is null, bag.HasErrors);
            if (spec is not null)
            {
                Assert.Contains(spec.Keys, k => k.Index == spec.ActiveIndex);
            }
        }, iter: 3000);
    }

    [Fact]
    public void Arbitrary_haresources_text_never_throws()
    {
        s_text.Sample(text =>
        {
            var bag = new DiagnosticBag();
            var groups = HaResourcesReader.Parse(text, "haresources", SeedNodes, [], bag);
            Assert.Equal(groups.Count, groups.Select(g => g.Name).Distinct().Count());
            Assert.All(groups, g => Assert.NotEmpty(g.Resources));
        }, iter: 3000);
    }

    private sealed record HaCfModel(string[] Nodes, int KeepaliveMs, int DeadFactor, int Port, string[] Peers, string[] Bcast, bool Failback);

    private static readonly Gen<HaCfModel> s_haCf =
        Gen.Select(
            Gen.Char['a', 'z'].Array[1, 8].Select(a => "n" + new string(a)).Array[1, 4],
            Gen.Int[100, 5000],
            Gen.Int[3, 20],
            Gen.Int[1, 65535],
            Gen.Select(Gen.Int[0, 255], Gen.Int[1, 254], (a, b) => $"10.9.{a}.{b}").Array[0, 4],
            Gen.Int[0, 9].Select(i => $"eth{i}").Array[0, 3],
            Gen.Bool,
            (n, k, f, p, peers, b, fb) => new HaCfModel(n, k, f, p, peers, b, fb))
        .Where(m => m.Peers.Length + m.Bcast.Length > 0);

    [Fact]
    public void Generated_valid_ha_cf_reads_back_to_the_model()
    {
        s_haCf.Sample(m =>
        {
            var nodes = m.Nodes.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            var peers = m.Peers.Distinct().ToArray();
            var bcast = m.Bcast.Distinct().ToArray();
            var lines = new List<string>
            {
                $"keepalive {m.KeepaliveMs}ms",
                $"deadtime {m.KeepaliveMs * m.DeadFactor / 1000}.{m.KeepaliveMs * m.DeadFactor % 1000:000}",
                $"udpport {m.Port}",
                "node " + string.Join(" ", nodes),
                $"auto_failback {(m.Failback ? "on" : "off")}",
                "stonith_host * external/ssh " + string.Join(" ", nodes),
            };
            lines.AddRange(peers.Select(p => $"ucast eth1 {p}   # peer"));
            lines.AddRange(bcast.Select(b => $"bcast {b}"));
            var bag = new DiagnosticBag();
            var spec = HaCfReader.Parse(string.Join("\n", lines), "ha.cf", NothingLocal, bag).Spec;
            Assert.False(bag.HasErrors, bag.Dump());
            Assert.Equal(nodes, spec.Nodes.Select(n => n.Name));
            var deadMs = m.KeepaliveMs * m.DeadFactor;
            Assert.Equal(TimeSpan.FromMilliseconds(m.KeepaliveMs), spec.Timing.Keepalive);
            Assert.Equal(TimeSpan.FromMilliseconds(deadMs), spec.Timing.Deadtime);
            Assert.Equal(TimingSpec.DefaultInitdead(spec.Timing.Deadtime), spec.Timing.Initdead);
            Assert.Equal(m.Failback ? FailbackMode.On : FailbackMode.Off, spec.AutoFailback);
            var ucast = spec.Links.OfType<UnicastLinkSpec>().ToList();
            if (peers.Length > 0)
            {
                var link = Assert.Single(ucast);
                Assert.Equal(m.Port, link.Port);
                Assert.Equal(peers, link.Endpoints.Select(e => e.Address));
            }
            else
            {
                Assert.Empty(ucast);
            }
            Assert.Equal(bcast, spec.Links.OfType<BroadcastLinkSpec>().Select(l => l.Interface));
            Assert.All(spec.Links.OfType<BroadcastLinkSpec>(), l => Assert.Equal(m.Port, l.Port));
        }, iter: 500);
    }

    private static readonly Gen<(string Text, string Agent, string[] Args)> s_resource = Gen.OneOf(
        Gen.Select(Gen.Int[0, 255], Gen.Int[1, 32], (a, c) => ($"10.1.{a}.7/{c}", "IPaddr", new[] { $"10.1.{a}.7/{c}" })),
        Gen.Int[0, 9].Select(i => ($"drbddisk::r{i}", "drbddisk", new[] { $"r{i}" })),
        Gen.Int[0, 9].Select(i => ($"Filesystem::/dev/drbd{i}::/mnt/{i}::ext4", "Filesystem", new[] { $"/dev/drbd{i}", $"/mnt/{i}", "ext4" })),
        Gen.Char['a', 'z'].Array[1, 6].Select(a => new string(a)).Select(s => ($"MailTo::{s}@example.com", "MailTo", new[] { $"{s}@example.com" })));

    [Fact]
    public void Generated_valid_haresources_reads_back_to_the_model()
    {
        var group = Gen.Select(Gen.Bool, s_resource.Array[1, 6], (first, rs) => (Node: first ? "ovz-node1" : "OVZ-node2", Resources: rs));
        group.Array[0, 5].Sample(groups =>
        {
            var unique = groups.GroupBy(g => g.Resources[0].Text).Select(g => g.First()).ToArray();
            var text = string.Join("\n", unique.Select((g, i) =>
                g.Node + (i % 2 == 0 ? " " : " \\\n    ") + string.Join(" ", g.Resources.Select(r => r.Text)) + " # group " + i));
            var bag = new DiagnosticBag();
            var read = HaResourcesReader.Parse(text, "haresources", SeedNodes, [], bag);
            Assert.False(bag.HasErrors, bag.Dump() + "\n" + text);
            Assert.Equal(unique.Length, read.Count);
            for (var i = 0; i < unique.Length; i++)
            {
                Assert.Equal(unique[i].Resources[0].Text, read[i].Name);
                Assert.Equal(unique[i].Node.ToLowerInvariant(), read[i].PreferredNode);
                Assert.Equal(unique[i].Resources.Select(r => r.Agent), read[i].Resources.Select(r => r.Agent));
                Assert.Equal(unique[i].Resources.Select(r => r.Args), read[i].Resources.Select(r => r.Arguments.ToArray()));
                Assert.Equal(read[i].Resources.Count, read[i].Resources.Select(r => r.Id).Distinct().Count());
            }
        }, iter: 500);
    }
}

public sealed class ClassicLargeInputTests
{
    private static string Repeat(Func<int, string> line, int bytes)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; sb.Length < bytes; i++)
        {
            sb.Append(line(i)).Append('\n');
        }
        return sb.ToString();
    }

    public static TheoryData<string> Shapes => new("node", "ucast", "bcast", "stonith", "ping_group", "illegal", "noted");

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Four_megabytes_of_repeated_ha_cf_lines_read_in_linear_time(string shape)
    {
        var text = Repeat(i => shape switch
        {
            "node" => $"node n{i} n{i}",
            "ucast" => $"ucast eth{i % 3} 10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}",
            "bcast" => $"bcast eth{i % 50}",
            "stonith" => "stonith_host * external/ssh a b",
            "ping_group" => $"ping_group g{i % 1000} 10.0.0.1",
            "illegal" => "bogus line",
            _ => "debug 1",
        }, 4 * 1024 * 1024);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var bag = new DiagnosticBag();
        HaCfReader.Parse(text, "ha.cf", ClassicTestFiles.NothingLocal, bag);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"{shape}: {watch.Elapsed}");
        Assert.True(bag.Items.Count < 1000, $"{shape}: {bag.Items.Count} diagnostics");
    }

    [Fact]
    public void Four_megabytes_of_haresources_and_authkeys_read_in_linear_time()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var bag = new DiagnosticBag();
        HaResourcesReader.Parse(Repeat(i => $"ovz-node1 drbddisk::r{i} script{i % 500} 10.0.{i / 256 % 256}.{i % 256} \\", 4 * 1024 * 1024),
            "haresources", ClassicTestFiles.SeedNodes, ["/nonexistent"], bag);
        AuthKeysReader.Parse(Repeat(i => $"{i % 16} sha1 k{i}", 4 * 1024 * 1024), "authkeys", false, bag);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), watch.Elapsed.ToString());
        Assert.True(bag.Items.Count < 1000, $"{bag.Items.Count} diagnostics");
    }
}
