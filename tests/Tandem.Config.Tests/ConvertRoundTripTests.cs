using System.Globalization;
using System.Text;
using CsCheck;
using Tandem.Config.Native;
using Tandem.Config.Tests.Classic;
using Tandem.Config.Tests.Native;
using Xunit;

namespace Tandem.Config.Tests;

/// <summary>
/// What <c>tandem config convert</c> promises: the native form of a classic configuration reads
/// back to the same model.
/// </summary>
public sealed class ConvertRoundTripTests
{
    private static ConfigResult LoadClassic(string dir) => ConfigLoader.Load(new ConfigOptions
    {
        HaDirectory = dir,
        DrbdConf = Path.Combine(dir, "drbd.conf"),
        IsLocalAddress = ClassicTestFiles.NothingLocal,
        ResourceScriptDirectories = [Path.Combine(dir, "resource.d")],
    });

    private static void AssertConvertsFaithfully(string dir, string context)
    {
        var classic = LoadClassic(dir);
        Assert.True(classic.IsValid, context + "\n" + string.Join("\n", classic.Diagnostics));

        var toml = NativeConfigWriter.Write(classic.Spec!);
        var bag = new DiagnosticBag();
        var back = NativeConfigReader.Parse(toml, "converted.toml", new ConfigOptions { AllowInsecureAuth = true }, bag);

        Assert.False(bag.HasErrors, context + "\n" + toml + "\n" + string.Join("\n", bag.Items));
        SpecCanon.AssertEqual(classic.Spec!, back, context + "\n" + toml);
    }

    [Fact]
    public void The_seed_cluster_converts_to_an_equal_native_model()
    {
        using var dir = HaDirectory.Seed();
        File.Copy(Path.Combine(ClassicTestFiles.CorpusDirectory, "..", "drbd", "valid", "seed-drbd.conf"), dir.File("drbd.conf"));

        AssertConvertsFaithfully(dir.Path, "seed");
    }

    private sealed record Classic(string[] Nodes, int KeepaliveMs, int DeadFactor, int Port, string[] Peers, bool Serial,
        string Failback, string Method, string Secret, char Protocol, int RateK, string[][] Groups, string Policy);

    private static readonly Gen<string> s_secret = Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!%&*+-=?@^_~"].Array[1, 24].Select(a => new string(a));

    private static readonly Gen<Classic> s_classic =
        from nodes in Gen.Char['a', 'z'].Array[2, 6].Select(a => "n" + new string(a)).Array[2, 3]
        from keepalive in Gen.Int[50, 3000]
        from factor in Gen.Int[3, 20]
        from port in Gen.Int[1, 65535]
        from peers in Gen.Select(Gen.Int[0, 255], Gen.Int[1, 254], (a, b) => $"10.9.{a}.{b}").Array[1, 4]
        from serial in Gen.Bool
        from failback in Gen.OneOf("on", "off", "legacy")
        from method in Gen.OneOf("sha1", "md5", "sha256")
        from secret in s_secret
        from protocol in Gen.OneOf('A', 'B', 'C')
        from rate in Gen.Int[1, 100_000]
        from groups in Gen.OneOf(
            Gen.Const(new[] { "drbddisk::r0", "Filesystem::/dev/drbd0::/srv::ext4" }),
            Gen.Const(new[] { "10.1.2.3/24/eth0", "drbddisk::r0", "MailTo::root@example.com" }),
            Gen.Const(new[] { "drbddisk::r0", "myservice" })).Array[1, 1]
        from policy in Gen.OneOf("disconnect", "discard-zero-changes", "discard-younger-primary")
        select new Classic(nodes.Distinct().ToArray(), keepalive, factor, port, peers.Distinct().ToArray(), serial, failback,
            method, secret, protocol, rate, groups, policy);

    private static void Write(string dir, Classic c)
    {
        var ha = new StringBuilder();
        ha.Append(CultureInfo.InvariantCulture, $"keepalive {c.KeepaliveMs}ms\ndeadtime {c.KeepaliveMs * c.DeadFactor}ms\n");
        ha.Append(CultureInfo.InvariantCulture, $"udpport {c.Port}\n");
        foreach (var p in c.Peers)
        {
            ha.Append(CultureInfo.InvariantCulture, $"ucast eth1 {p}\n");
        }
        if (c.Serial)
        {
            ha.Append("baud 38400\nserial /dev/ttyS1\n");
        }
        ha.Append(CultureInfo.InvariantCulture, $"auto_failback {c.Failback}\nnode {string.Join(' ', c.Nodes)}\n");
        File.WriteAllText(Path.Combine(dir, "ha.cf"), ha.ToString());
        var keys = Path.Combine(dir, "authkeys");
        File.WriteAllText(keys, $"auth 2\n2 {c.Method} {c.Secret}\n");
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(dir, "haresources"),
            string.Join('\n', c.Groups.Select(g => c.Nodes[0] + " " + string.Join(' ', g))) + "\n");
        File.WriteAllText(Path.Combine(dir, "drbd.conf"), $$"""
            resource r0 {
              protocol {{c.Protocol}};
              net { after-sb-0pri {{c.Policy}}; }
              syncer { rate {{c.RateK}}K; }
              on {{c.Nodes[0]}} { device /dev/drbd0; disk /dev/sdb1; address 10.0.0.1:7788; meta-disk internal; }
              on {{c.Nodes[1]}} { device /dev/drbd0; disk /dev/sdb1; address 10.0.0.2:7788; meta-disk internal; }
            }
            """);
    }

    [Fact]
    public void Generated_classic_configurations_convert_to_equal_native_models()
    {
        s_classic.Sample(c =>
        {
            var dir = Directory.CreateTempSubdirectory("tandem-convert-").FullName;
            try
            {
                Directory.CreateDirectory(Path.Combine(dir, "resource.d"));
                Write(dir, c);
                AssertConvertsFaithfully(dir, c.ToString());
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }, iter: 150);
    }
}
