using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Volumes;

/// <summary>
/// A two-node loopback cluster with one resource, r0, written as native TOML into a work directory;
/// only the first node's daemon runs (as a real process). r0 names no peer host, so it is served
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
    public static async Task<VolumeNode> CreateAsync(string work, long? backingSize, bool tcp = false)
    {
        var backing = Path.Combine(work, "r0.img");
        if (backingSize is { } size)
        {
            await ExternalTool.RunOkAsync("truncate", "-s", size.ToString(CultureInfo.InvariantCulture), backing);
        }
        var device = Path.Combine(work, "dev", "drbd0");
        var nbd = tcp ? new IPEndPoint(IPAddress.Loopback, FreePort(SocketType.Stream, ProtocolType.Tcp)) : null;
        var heartbeat1 = FreePort(SocketType.Dgram, ProtocolType.Udp);
        var heartbeat2 = FreePort(SocketType.Dgram, ProtocolType.Udp);
        var path = Path.Combine(work, "tandem.toml");
        var nbdLine = nbd is null ? "" : $"nbd_listen = \"{nbd}\"";
        await File.WriteAllTextAsync(path, string.Create(CultureInfo.InvariantCulture, $$"""
            [cluster]
            name = "volume-it"
            auto_failback = "off"

            [timing]
            keepalive = "100ms"
            deadtime = "1s"
            initdead = "3s"

            [[node]]
            name = "{{NodeName}}"
            {{nbdLine}}

            [[node]]
            name = "vol-node2"

            [[link]]
            kind = "ucast"
            name = "lo"
            port = {{heartbeat1}}

            [[link.endpoint]]
            address = "127.0.0.1"
            port = {{heartbeat1}}
            node = "{{NodeName}}"

            [[link.endpoint]]
            address = "127.0.0.1"
            port = {{heartbeat2}}
            node = "vol-node2"

            [auth]
            active = 1

            [[auth.key]]
            index = 1
            method = "sha256"
            secret = "volume-integration-secret"

            [fencing]
            disabled = true

            [[replicated]]
            name = "r0"

            [[replicated.host]]
            name = "{{NodeName}}"
            address = "127.0.0.1:{{heartbeat1 + 1}}"

            [[replicated.host.volume]]
            number = 0
            device = "{{device}}"
            disk = "{{backing}}"

            """), TestContext.Current.CancellationToken);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new VolumeNode(work, ["--config", path], backing, device, nbd);
    }

    /// <summary>Starts the daemon and waits until it is up.</summary>
    public async Task<TandemProcess> StartDaemonAsync()
    {
        var daemon = TandemProcess.Start(
            ["daemon", .. ConfigArgs, "--node", NodeName, "--state-dir", StateDirectory, "--run-dir", RunDirectory]);
        await daemon.WaitForLineAsync("daemon.started", TimeSpan.FromSeconds(60), "the daemon to start");
        return daemon;
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

    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        // Two consecutive free ports: the resource's replication address takes port + 1.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var first = new Socket(AddressFamily.InterNetwork, type, protocol);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)first.LocalEndPoint!).Port;
            if (port >= 65535)
            {
                continue;
            }
            try
            {
                using var second = new Socket(AddressFamily.InterNetwork, type, protocol);
                second.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another pair.
            }
        }
        throw new InvalidOperationException("no two consecutive free loopback ports");
    }
}
