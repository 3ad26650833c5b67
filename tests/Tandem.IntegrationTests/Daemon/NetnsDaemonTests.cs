using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Daemon;

/// <summary>
/// Two daemons from the seed's own configuration (ovz-node1, ovz-node2), each inside a fresh network
/// namespace: the seed names 192.168.0.x and 10.0.0.x, which must never see a packet from a test.
/// </summary>
public sealed class NetnsDaemonTests
{
    [Fact]
    public async Task Two_seed_nodes_in_network_namespaces_run_side_by_side_and_stop_on_sigterm()
    {
        using var ns1 = NetworkNamespace.CreateOrSkip();
        using var ns2 = NetworkNamespace.CreateOrSkip();
        var seed = TestPaths.CopySeed(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var work = TestPaths.NewTempDirectory("tandem-it");
        try
        {
            string[] config = ["--ha-dir", seed, "--drbd-conf", Path.Combine(seed, "drbd.conf")];
            await TwoNodeScenario.RunAsync(config,
            [
                new("ovz-node1", Path.Combine(work, "n1", "state"), Path.Combine(work, "n1", "run"), ns1.Name),
                new("ovz-node2", Path.Combine(work, "n2", "state"), Path.Combine(work, "n2", "run"), ns2.Name),
            ]);
        }
        finally
        {
            TestPaths.DeleteQuietly(seed);
            TestPaths.DeleteQuietly(work);
        }
    }
}
