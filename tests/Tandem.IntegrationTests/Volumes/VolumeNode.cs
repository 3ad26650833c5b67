using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Tandem.Core.Model;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Lab;
using Tandem.Lab.Configuration;
using Tandem.Lab.Network;
using Xunit;

namespace Tandem.IntegrationTests.Volumes;

/// <summary>
/// A two-node loopback cluster with one resource, r0, generated as native TOML into a work directory;
/// only the first node's daemon runs (a real process, a lab node). r0 names no peer host, so it is served
/// from the local backing (replicated volumes are tested in Replication/).
/// </summary>
internal sealed class VolumeNode
{
    public const string NodeName = "vol-node1";

    private VolumeNode(string work, string[] configArgs, string backing, string device, IPEndPoint? tcp)
    {
        Work = work;
        ConfigArgs = configArgs;
        Backing = backing;
        Device = device;
        Tcp = tcp;
    }

    public string Work { get; }

    public string[] ConfigArgs { get; }

    /// <summary>The backing file of r0 on this node.</summary>
    public string Backing { get; }

    /// <summary>The configured device path of r0 on this node (inside the work directory, never /dev).</summary>
    public string Device { get; }

    /// <summary>The node's nbd_listen, or null.</summary>
    public IPEndPoint? Tcp { get; }

    public string RunDirectory => Path.Combine(Work, "run");

    public string StateDirectory => Path.Combine(Work, "state");

    public string Socket => Path.Combine(RunDirectory, "nbd", "r0.sock");

    public string AttachDirectory => Path.Combine(RunDirectory, "nbd", "attach");

    public string[] RunDir => ["--run-dir", RunDirectory];

    /// <summary>Writes the configuration; <paramref name="backingSize"/> null leaves the backing missing.</summary>
    /// <param name="tls">TLS for the TCP listener; null serves plain TCP with the insecure opt-in.</param>
    public static async Task<VolumeNode> CreateAsync(string work, long? backingSize, bool tcp = false, NbdTlsSpec? tls = null)
    {
        var backing = Path.Combine(work, "r0.img");
        if (backingSize is { } size)
        {
            await ExternalTool.RunOkAsync("truncate", "-s", size.ToString(CultureInfo.InvariantCulture), backing);
        }
        var device = Path.Combine(work, "dev", "drbd0");
        var subnet = LoopbackSubnet.Pick(1, tcpPorts: 2, udpPorts: 2);
        var address = subnet.Addresses[0];
        var nbd = tcp ? new IPEndPoint(IPAddress.Parse(address), subnet.TcpPorts[1]) : null;
        var spec = new ClusterSpec
        {
            Name = "volume-it",
            AutoFailback = FailbackMode.Off,
            Timing = LabConfig.Timing(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)),
            Nodes = [new NodeSpec(NodeName) { NbdListen = nbd?.ToString(), NbdTls = tls, NbdInsecure = nbd is not null && tls is null }, new NodeSpec("vol-node2")],
            Links = [LabConfig.PortPerNode("lo", address, [(NodeName, subnet.UdpPorts[0]), ("vol-node2", subnet.UdpPorts[1])])],
            Auth = LabConfig.Sha256Key("volume-integration-secret"),
            Fencing = new FencingSpec { Disabled = true },
            Replicated =
            [
                new ReplicatedResourceSpec("r0")
                {
                    Hosts = [new ReplicaHostSpec(NodeName, $"{address}:{subnet.TcpPorts[0]}", [new VolumeSpec(0, device, backing, "internal")])],
                },
            ],
        };
        var path = LabConfig.Write(spec, Path.Combine(work, "tandem.toml"));
        return new VolumeNode(work, ["--config", path], backing, device, nbd);
    }

    /// <summary>Starts the daemon (a lab node) and waits until it is ready; disposing the result kills it by pid.</summary>
    public async Task<TandemProcess> StartDaemonAsync()
    {
        var node = new LabNode(TandemProcess.Command, new LabNodeOptions(NodeName, Work)
        {
            ConfigArguments = ConfigArgs,
            StateDirectory = StateDirectory,
            RunDirectory = RunDirectory,
            DisposeGrace = TimeSpan.Zero,
        });
        try
        {
            await node.StartAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
        return TandemProcess.Of(node.Process!, node);
    }

    /// <summary>Runs a <c>tandem</c> command to completion.</summary>
    public static Task<TandemProcess> TandemAsync(params string[] args) => TandemProcess.RunAsync(args, TimeSpan.FromSeconds(90));

    /// <summary>The <c>volumes</c> section of <c>tandem status --json</c>.</summary>
    public async Task<JsonArray> VolumesAsync()
    {
        await using var status = await TandemAsync(["status", "--json", .. RunDir]);
        Assert.True(status.ExitCode == 0, status.ToString());
        return Assert.IsType<JsonArray>(JsonNode.Parse(status.Stdout)!["volumes"]);
    }
}
