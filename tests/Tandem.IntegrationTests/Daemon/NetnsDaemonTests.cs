using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Daemon;

/// <summary>
/// Two daemons from the seed's own configuration (ovz-node1, ovz-node2), each inside a network
/// namespace whose veth links carry exactly the seed's addresses (eth0 192.168.0.x, eth1 10.0.0.x),
/// and a pty pair as the serial line: the seed's files run unchanged, and no packet leaves the machine.
/// </summary>
public sealed class NetnsDaemonTests
{
    [Fact]
    public async Task Two_seed_nodes_see_each_other_on_every_link_and_stop_on_sigterm()
    {
        using var network = SeedNetwork.CreateOrSkip();
        var work = TestPaths.NewTempDirectory("tandem-it");
        try
        {
            using var serial = await PtyPair.StartOrSkipAsync(work);
            var node1 = NodeConfig(work, "n1", serial.A);
            var node2 = NodeConfig(work, "n2", serial.B);
            // A serial link is named after its device, which each node names differently here.
            string[] links1 = ["ucast-eth0", "ucast-eth1", "serial-ttyA"];
            string[] links2 = ["ucast-eth0", "ucast-eth1", "serial-ttyB"];
            await TwoNodeScenario.RunAsync(node1,
            [
                new("ovz-node1", Path.Combine(work, "n1", "state"), Path.Combine(work, "n1", "run"), network.Node1.Name)
                    { ConfigArgs = node1, PeerLinks = links1 },
                new("ovz-node2", Path.Combine(work, "n2", "state"), Path.Combine(work, "n2", "run"), network.Node2.Name)
                    { ConfigArgs = node2, PeerLinks = links2 },
            ]);
        }
        finally
        {
            TestPaths.DeleteQuietly(work);
        }
    }

    /// <summary>
    /// The seed's files for one node. Only the serial device differs, as on real hardware where
    /// each machine names its own port: here each node gets its end of the pty pair.
    /// </summary>
    private static string[] NodeConfig(string work, string name, string tty)
    {
        var seed = TestPaths.CopySeed(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var dir = Path.Combine(work, name, "ha.d");
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        Directory.Move(seed, dir);
        var haCf = Path.Combine(dir, "ha.cf");
        File.WriteAllText(haCf, File.ReadAllText(haCf).Replace("serial /dev/ttyS0", $"serial {tty}", StringComparison.Ordinal));
        return ["--ha-dir", dir, "--drbd-conf", Path.Combine(dir, "drbd.conf")];
    }
}
