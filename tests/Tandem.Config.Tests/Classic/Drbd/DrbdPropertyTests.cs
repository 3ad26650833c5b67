using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Xunit;
using Tandem.Config.Classic.Drbd;
using Tandem.Core.Model;

namespace Tandem.Config.Tests.Classic.Drbd;

public partial class DrbdPropertyTests
{
    private static readonly string[] s_vocabulary =
    [
        "resource", "on", "volume", "device", "disk", "meta-disk", "address", "net", "syncer", "startup", "handlers",
        "options", "common", "global", "include", "skip", "connection", "connection-mesh", "host", "hosts", "path", "node-id",
        "protocol", "rate", "al-extents", "after-sb-0pri", "minor", "internal", "none", "ipv6", "ipv4", "r0", "alpha", "bravo",
        "/dev/drbd0", "/dev/sda3", "10.0.0.1:7788", "[fd00::1]:7788", "30M", "99999999999999999999G", "0", "-1", "C", "yes",
        "{", "}", ";", ";;", "\"", "\"quoted string\"", "\"esc\\\"aped\"", "#comment\n", "\n", "\t", "\0", "\u00e9", "\uD800",
        "*", "[0]", "[", "]", "discard-node-", "fencing", "quorum", "no-disk-flushes", "incon-degr-cmd",
    ];

    [Fact]
    public void Random_token_soup_never_throws_and_terminates()
    {
        var token = Gen.Frequency(
            (8, (IGen<string>)Gen.OneOf(s_vocabulary)),
            (1, Gen.String[0, 12]),
            (1, Gen.Char.Select(c => c.ToString())));
        var separator = Gen.OneOf(" ", "", "\n", " ; ", " { ", " } ");
        var soup = Gen.Select(token, separator).Array[0, 200]
            .Select(parts => string.Concat(parts.Select(p => p.Item1 + p.Item2)));
        soup.Sample(text =>
        {
            var bag = new DiagnosticBag();
            DrbdConf.Parse(text, "/etc/drbd.conf", bag, p => p.EndsWith("self.conf", StringComparison.Ordinal) ? "include \"self.conf\";" : text,
                _ => ["a.res", "b.res", "self.conf"]);
            foreach (var d in bag.Items)
            {
                _ = d.ToString();
            }
        }, iter: 3000, threads: 1);
    }

    private sealed record Generated(
        string Name, ReplicationProtocol Protocol, bool ProtocolInNet, int Minor, string Disk, string MetaDisk, bool DeviceAtResourceLevel,
        long RateNumber, string RateSuffix, bool Syncer, int AlExtents, string Sb0, string Sb1, string Sb2, string OnIoError, string Fencing,
        int Timeout, int Degr, int Port, bool Ipv6)
    {
        public long RateBytes => RateNumber * RateSuffix.ToUpperInvariant() switch { "K" or "" => 1024L, "M" => 1L << 20, _ => 1L << 30 };

        public string Address(int host) => Ipv6 ? $"ipv6 [fd00::{host}]:{Port}" : $"10.0.0.{host}:{Port}";

        public string Render()
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"# generated\nresource {Name} {{\n");
            if (!ProtocolInNet)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  protocol {Protocol};\n");
            }
            var device = $"device /dev/drbd{Minor};";
            var storage = $"{device}\n    disk {Disk};\n    meta-disk {MetaDisk};";
            if (DeviceAtResourceLevel)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {storage}\n");
            }
            sb.Append(CultureInfo.InvariantCulture, $"  startup {{ degr-wfc-timeout {Degr}; }}\n");
            sb.Append(CultureInfo.InvariantCulture, $"  disk {{ on-io-error {OnIoError}; fencing {Fencing}; }}\n");
            sb.Append("  net {\n");
            if (ProtocolInNet)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    protocol {Protocol};\n");
            }
            sb.Append(CultureInfo.InvariantCulture, $"    after-sb-0pri {Sb0}; after-sb-1pri {Sb1}; after-sb-2pri {Sb2}; timeout {Timeout};\n  }}\n");
            sb.Append(Syncer
                ? $"  syncer {{ rate {RateNumber}{RateSuffix}; al-extents {AlExtents}; }}\n"
                : $"  disk {{ resync-rate {RateNumber}{RateSuffix}; al-extents {AlExtents}; }}\n");
            foreach (var host in new[] { 1, 2 })
            {
                sb.Append(CultureInfo.InvariantCulture, $"  on node{host} {{\n    address {Address(host)};\n");
                if (!DeviceAtResourceLevel)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"    {storage}\n");
                }
                sb.Append("  }\n");
            }
            sb.Append("}\n");
            return sb.ToString();
        }
    }

    private static readonly Gen<Generated> s_config =
        from name in Gen.OneOf("r0", "r1", "data", "vz", "mysql-store")
        from protocol in Gen.OneOf(ReplicationProtocol.A, ReplicationProtocol.B, ReplicationProtocol.C)
        from protocolInNet in Gen.Bool
        from minor in Gen.Int[0, 255]
        from disk in Gen.OneOf("/dev/hda3", "/dev/sdb1", "/dev/vg0/lv_data", "none")
        from meta in Gen.OneOf("internal", "/dev/sdc1", "/dev/sdc1[3]")
        from atResource in Gen.Bool
        from rateNumber in Gen.Long[1, 4000]
        from rateSuffix in Gen.OneOf("", "K", "k", "M", "m", "G")
        from syncer in Gen.Bool
        from al in Gen.Int[7, 65534]
        from sb0 in Gen.OneOf([.. DrbdOptionTable.AfterSb0Pri])
        from sb1 in Gen.OneOf([.. DrbdOptionTable.AfterSb1Pri])
        from sb2 in Gen.OneOf([.. DrbdOptionTable.AfterSb2Pri])
        from onIoError in Gen.OneOf([.. DrbdOptionTable.OnIoError])
        from fencing in Gen.OneOf("dont-care", "resource-only", "resource-and-stonith")
        from timeout in Gen.Int[1, 600]
        from degr in Gen.Int[0, 300000]
        from port in Gen.Int[1, 65535]
        from ipv6 in Gen.Bool
        select new Generated(name, protocol, protocolInNet, minor, disk, meta, atResource, rateNumber, rateSuffix, syncer, al,
            sb0, sb1, sb2, onIoError, protocol == ReplicationProtocol.A && fencing == "resource-and-stonith" ? "resource-only" : fencing,
            timeout, degr, port, ipv6);

    [Fact]
    public void Generated_valid_configurations_read_back_to_the_model()
    {
        s_config.Sample(g =>
        {
            var bag = new DiagnosticBag();
            var resources = DrbdConf.Parse(g.Render(), "/etc/drbd.conf", bag, null);
            Assert.False(bag.HasErrors, g.Render() + "\n" + string.Join("\n", bag.Items));
            var r = Assert.Single(resources);
            Assert.Equal(g.Name, r.Name);
            Assert.Equal(g.Protocol, r.Protocol);
            Assert.Equal(g.RateBytes, r.Disk.ResyncRate);
            Assert.Equal(g.AlExtents, r.Disk.AlExtents);
            Assert.Equal(g.OnIoError, r.Disk.OnIoError);
            Assert.Equal(g.Fencing, r.Disk.Fencing);
            Assert.Equal((g.Sb0, g.Sb1, g.Sb2), (r.Net.AfterSb0Pri, r.Net.AfterSb1Pri, r.Net.AfterSb2Pri));
            Assert.Equal(TimeSpan.FromMilliseconds(g.Timeout * 100L), r.Net.Timeout);
            Assert.Equal(TimeSpan.FromSeconds(g.Degr), r.Startup.DegrWfcTimeout);
            Assert.Equal(["node1", "node2"], r.Hosts.Select(h => h.Name));
            for (var i = 0; i < 2; i++)
            {
                var host = r.Hosts[i];
                Assert.Equal(g.Ipv6 ? $"[fd00::{i + 1}]:{g.Port}" : $"10.0.0.{i + 1}:{g.Port}", host.Address);
                Assert.Equal(new VolumeSpec(0, $"/dev/drbd{g.Minor}", g.Disk, g.MetaDisk), Assert.Single(host.Volumes));
            }
        }, iter: 500, threads: 1, print: g => g.Render());
    }

    [GeneratedRegex("^([0-9]+)([kKmMgG]?)$")]
    private static partial Regex SizeShape();

    // The model: the shape by regular expression, the value by arbitrary-precision arithmetic.
    private static long? ModelSize(string text, long unit)
    {
        var m = SizeShape().Match(text);
        if (!m.Success)
        {
            return null;
        }
        BigInteger multiplier = m.Groups[2].Value.ToUpperInvariant() switch { "K" => 1024, "M" => 1024 * 1024, "G" => 1024 * 1024 * 1024, _ => unit };
        var value = BigInteger.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * multiplier;
        return value > long.MaxValue ? null : (long)value;
    }

    [Fact]
    public void Size_parser_agrees_with_an_independent_model()
    {
        var digits = Gen.Char['0', '9'].Array[1, 22].Select(a => new string(a));
        var suffix = Gen.OneOf("", "k", "K", "m", "M", "g", "G", "T", "s", "KB", " ", "-");
        var wellFormed = Gen.Select(digits, suffix, (d, s) => d + s);
        var anything = Gen.String[0, 8];
        var text = Gen.Frequency((4, (IGen<string>)wellFormed), (1, anything), (1, Gen.Long[0, long.MaxValue].Select(n => n.ToString(CultureInfo.InvariantCulture))));
        var unit = Gen.OneOf(1L, 512L, 1024L);
        Gen.Select(text, unit).Sample((t, u) =>
        {
            var expected = ModelSize(t, u);
            var ok = DrbdValues.TryParseSize(t, u, out var bytes);
            Assert.Equal(expected.HasValue, ok);
            if (ok)
            {
                Assert.Equal(expected!.Value, bytes);
            }
        }, iter: 20000, threads: 1);
    }

    [Fact]
    public void Glob_matcher_agrees_with_a_regex_model()
    {
        var alphabet = Gen.OneOf('a', 'b', '.', 'r');
        var name = alphabet.Array[0, 8].Select(a => new string(a));
        var pattern = Gen.OneOf('a', 'b', '.', '*', '?').Array[0, 6].Select(a => new string(a));
        Gen.Select(pattern, name).Sample((p, n) =>
        {
            var regex = "^" + string.Concat(p.Select(c => c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) })) + "$";
            var expected = Regex.IsMatch(n, regex, RegexOptions.Singleline) && !(n.StartsWith('.') && !p.StartsWith('.'));
            Assert.Equal(expected, DrbdGlob.IsMatch(p, n));
        }, iter: 20000, threads: 1);
    }
}
