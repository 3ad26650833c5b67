using System.Globalization;
using System.Security.Cryptography;
using Tandem.Core.Model;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Lab.Configuration;
using Tandem.Lab.Network;
using Xunit;

namespace Tandem.IntegrationTests.Replication;

/// <summary>
/// Two real <c>tandem daemon</c> processes, repl-a and repl-b, sharing one replicated resource r0
/// on loopback addresses of their own (127.X.Y.1 and .2), configured with the classic files
/// (ha.cf with ucast membership, drbd.conf with fast connect-int, ping-int and timeout so that a
/// lost peer is noticed in about 4 s). Each node has a file backing in the work directory.
/// </summary>
internal sealed class ReplicatedPair : IAsyncDisposable
{
    public const long BackingSize = 16L << 20;

    private ReplicatedPair(string work, string[] configArgs, ReplicaNode a, ReplicaNode b)
    {
        Work = work;
        ConfigArgs = configArgs;
        A = a;
        B = b;
    }

    public string Work { get; }

    public string[] ConfigArgs { get; }

    /// <summary>repl-a: the node that dials (its name sorts first).</summary>
    public ReplicaNode A { get; }

    public ReplicaNode B { get; }

    /// <summary>
    /// The same pair configured with one native tandem.toml instead, whose ucast endpoints name
    /// their nodes, so that each daemon binds its own address and membership works both ways on one
    /// machine (with the classic files both bind the wildcard address and only one hears the other):
    /// for tests that need the cluster channel. <paramref name="fencing"/> is the disk fencing policy.
    /// </summary>
    public static async Task<ReplicatedPair> CreateNativeAsync(string work, string fencing)
    {
        var (addresses, ports, udp) = PickAddresses(2, 1);
        var a = new ReplicaNode("repl-a", addresses[0], Path.Combine(work, "a"));
        var b = new ReplicaNode("repl-b", addresses[1], Path.Combine(work, "b"));
        var configArgs = await WriteNativeAsync(work, [a, b], [("r0", [a, b], ports[0])], udp, fencing);
        return new ReplicatedPair(work, configArgs, a, b);
    }

    /// <summary>
    /// Writes one native tandem.toml for <paramref name="nodes"/> (ucast membership on their own
    /// loopback addresses, fencing disabled) with the replicated <paramref name="resources"/>, each
    /// between its two hosts on its TCP port, and a zero backing file per host and resource; sets
    /// every node's <see cref="ReplicaNode.ConfigArgs"/> and returns them.
    /// </summary>
    internal static async Task<string[]> WriteNativeAsync(string work, IReadOnlyList<ReplicaNode> nodes,
        IReadOnlyList<(string Name, ReplicaNode[] Hosts, int Port)> resources, int udp, string fencing)
    {
        var replicated = new List<ReplicatedResourceSpec>();
        foreach (var (name, hosts, port) in resources)
        {
            foreach (var host in hosts)
            {
                await ExternalTool.RunOkAsync("truncate", "-s", BackingSize.ToString(CultureInfo.InvariantCulture), host.BackingOf(name));
            }
            replicated.Add(new ReplicatedResourceSpec(name)
            {
                Protocol = ReplicationProtocol.C,
                Net = new NetOptions { ConnectInterval = TimeSpan.FromSeconds(1), PingInterval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(3), VerifyAlg = "sha1" },
                Disk = new DiskOptions { ResyncRate = 100L << 20, AlExtents = 7, Fencing = fencing },
                Hosts = [.. hosts.Select(h => new ReplicaHostSpec(h.Name, $"{h.Address}:{port}", [new VolumeSpec(0, $"{h.Directory}/{name}-device", h.BackingOf(name), "internal")]))],
            });
        }
        var spec = new ClusterSpec
        {
            Name = "replication-it",
            AutoFailback = FailbackMode.Off,
            Timing = LabConfig.Timing(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)),
            Nodes = [.. nodes.Select(n => new NodeSpec(n.Name))],
            Links = [LabConfig.AddressPerNode("lo", udp, nodes.Select(n => (n.Name, n.Address)))],
            Auth = LabConfig.Sha256Key("replication-test-secret"),
            Fencing = new FencingSpec { Disabled = true },
            Replicated = replicated,
        };
        string[] configArgs = ["--config", LabConfig.Write(spec, Path.Combine(work, "tandem.toml"))];
        foreach (var node in nodes)
        {
            node.ConfigArgs = configArgs;
        }
        return configArgs;
    }

    public static async Task<ReplicatedPair> CreateAsync(string work)
    {
        var (addresses, ports, udp) = PickAddresses(2, 1);
        var (addressA, addressB, port) = (addresses[0], addresses[1], ports[0]);
        var dir = Path.Combine(work, "ha.d");
        Directory.CreateDirectory(dir);
        var a = new ReplicaNode("repl-a", addressA, Path.Combine(work, "a"));
        var b = new ReplicaNode("repl-b", addressB, Path.Combine(work, "b"));
        foreach (var node in new[] { a, b })
        {
            Directory.CreateDirectory(node.Directory);
            await ExternalTool.RunOkAsync("truncate", "-s", BackingSize.ToString(CultureInfo.InvariantCulture), node.Backing);
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "ha.cf"), string.Create(CultureInfo.InvariantCulture, $"""
            keepalive 1
            warntime 5
            deadtime 10
            initdead 20
            udpport {udp}
            ucast lo {addressA}
            ucast lo {addressB}
            auto_failback off
            node repl-a
            node repl-b

            """), TestContext.Current.CancellationToken);
        var authkeys = Path.Combine(dir, "authkeys");
        await File.WriteAllTextAsync(authkeys, "auth 1\n1 sha1 replication-test-secret\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(authkeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // No groups: nothing but the operator (the test) promotes the volume.
        await File.WriteAllTextAsync(Path.Combine(dir, "haresources"), "", TestContext.Current.CancellationToken);
        var drbd = Path.Combine(dir, "drbd.conf");
        await File.WriteAllTextAsync(drbd, string.Create(CultureInfo.InvariantCulture, $$"""
            resource r0 {
              protocol C;
              net {
                connect-int 1;
                ping-int 1;
                timeout 30;
                verify-alg sha1;
              }
              disk {
                resync-rate 100M;
                al-extents 7;
              }
              on repl-a {
                device    {{a.Directory}}/drbd0 minor 0;
                disk      {{a.Backing}};
                address   {{addressA}}:{{port}};
                meta-disk internal;
              }
              on repl-b {
                device    {{b.Directory}}/drbd0 minor 0;
                disk      {{b.Backing}};
                address   {{addressB}}:{{port}};
                meta-disk internal;
              }
            }

            """), TestContext.Current.CancellationToken);
        var configArgs = new[] { "--ha-dir", dir, "--drbd-conf", drbd };
        a.ConfigArgs = configArgs;
        b.ConfigArgs = configArgs;
        return new ReplicatedPair(work, configArgs, a, b);
    }

    /// <summary>create-md on both, both daemons up and connected (both just created: no sync).</summary>
    public async Task StartNewPairAsync()
    {
        await A.TandemOkAsync("volume", "create-md", "r0");
        await B.TandemOkAsync("volume", "create-md", "r0");
        await Task.WhenAll(A.StartAsync(), B.StartAsync());
        await Task.WhenAll(
            A.WaitForEventAsync(e => e.Kind == "volume.connection" && e.Reason.Contains("just-created-both", StringComparison.Ordinal), "repl-a to connect to repl-b"),
            B.WaitForEventAsync(e => e.Kind == "volume.connection" && e.Reason.Contains("just-created-both", StringComparison.Ordinal), "repl-b to connect to repl-a"));
    }

    /// <summary>A new pair whose initial sync was skipped (both backings are zero): both UpToDate, connected, A Primary.</summary>
    public async Task StartInSyncWithPrimaryAAsync()
    {
        await StartNewPairAsync();
        var since = B.Cursor;
        await A.TandemOkAsync("volume", "new-current-uuid", "--clear-bitmap", "r0");
        await B.WaitForEventAsync(e => e.Kind == "volume.disk" && e.Data?["new"] == "UpToDate", "repl-b to become UpToDate when repl-a skips the initial sync", since: since);
        await A.TandemOkAsync("volume", "primary", "r0");
    }

    /// <summary>SHA-256 of the data area of a backing (the metadata at its end excluded).</summary>
    public static Task<string> HashAsync(ReplicaNode node, long usable) => HashAsync(node.Backing, usable);

    /// <summary>SHA-256 of the first <paramref name="usable"/> bytes of <paramref name="backing"/>.</summary>
    public static async Task<string> HashAsync(string backing, long usable)
    {
        await using var file = new FileStream(backing, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[usable];
        await file.ReadExactlyAsync(buffer, TestContext.Current.CancellationToken);
        return Convert.ToHexString(SHA256.HashData(buffer));
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }

    /// <summary>
    /// <paramref name="count"/> addresses of a loopback subnet of the lab's own, .1 upwards, with
    /// <paramref name="tcpPorts"/> TCP ports and one UDP port free on all.
    /// </summary>
    internal static (string[] Addresses, int[] Tcp, int Udp) PickAddresses(int count, int tcpPorts)
    {
        var subnet = LoopbackSubnet.Pick(count, tcpPorts, udpPorts: 1);
        return ([.. subnet.Addresses], [.. subnet.TcpPorts], subnet.UdpPorts[0]);
    }
}
