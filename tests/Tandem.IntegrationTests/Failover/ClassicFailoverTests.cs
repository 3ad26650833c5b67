using System.Text.Json.Nodes;
using Tandem.Daemon.Control;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Lab;
using Tandem.Lab.Placement;
using Xunit;

namespace Tandem.IntegrationTests.Failover;

/// <summary>
/// Failover from the classic files (ha.cf, authkeys, haresources written by the test), each node in
/// a network namespace with the seed's addresses: a service address (IPaddr) and an R1 script from
/// ha.d/resource.d start on the preferred node, and after a crash the survivor takes them over
/// without fencing, because the files configure no STONITH, with a loud warning.
/// </summary>
public sealed class ClassicFailoverTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Classic_files_run_the_group_on_the_preferred_node_and_move_the_address_after_a_crash()
    {
        using var network = SeedNetwork.CreateOrSkip();
        var work = TestPaths.NewTempDirectory("tandem-cfo");
        var lab = new LabCluster(work, TandemProcess.Command);
        try
        {
            var ha = Path.Combine(work, "ha.d");
            Directory.CreateDirectory(Path.Combine(ha, "resource.d"));
            File.WriteAllText(Path.Combine(ha, "ha.cf"), """
                keepalive 100ms
                warntime 300ms
                deadtime 500ms
                initdead 10
                udpport 694
                ucast eth0 192.168.0.1
                ucast eth0 192.168.0.2
                auto_failback on
                node ovz-node1
                node ovz-node2

                """);
            var authkeys = Path.Combine(ha, "authkeys");
            File.WriteAllText(authkeys, "auth 1\n1 sha1 classic-failover-secret\n");
            File.SetUnixFileMode(authkeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(Path.Combine(ha, "drbd.conf"), "# no replicated resources\n");
            File.WriteAllText(Path.Combine(ha, "haresources"), "ovz-node1 192.168.0.100/24/eth0 recorder::svc\n");
            var script = Path.Combine(ha, "resource.d", "recorder");
            File.WriteAllText(script, $$"""
                #!/bin/sh
                state="{{work}}/state.$TANDEM_TEST_NODE.$1"
                case "$2" in
                  start) touch "$state"; echo "$(date +%s%N) $TANDEM_TEST_NODE start $1" >> "{{work}}/records" ;;
                  stop)  rm -f "$state"; echo "$(date +%s%N) $TANDEM_TEST_NODE stop $1" >> "{{work}}/records" ;;
                  status) if [ -e "$state" ]; then echo "$1 running"; else echo "$1 stopped"; fi ;;
                esac
                exit 0

                """);
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            foreach (var (node, ns) in new[] { ("ovz-node1", network.Node1), ("ovz-node2", network.Node2) })
            {
                lab.Add(new LabNodeOptions(node, Path.Combine(work, node))
                {
                    Placement = new NamespacePlacement(ns),
                    ConfigArguments = ["--ha-dir", ha, "--drbd-conf", Path.Combine(ha, "drbd.conf")],
                    DaemonArguments = ["--no-realtime"],
                    Environment = new Dictionary<string, string?> { ["TANDEM_TEST_NODE"] = node },
                });
            }
            await lab.StartAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            var watches = lab.Nodes.ToDictionary(n => n.Name, n => new EventWatch(n.Events));

            var started = await watches["ovz-node1"].WaitAsync("group.started", "192.168.0.100/24/eth0", Soon);
            Assert.Contains("192.168.0.100/24", await AddressesAsync(network.Node1.Name), StringComparison.Ordinal);
            Assert.DoesNotContain("192.168.0.100/24", await AddressesAsync(network.Node2.Name), StringComparison.Ordinal);
            var group = await GroupAsync(Path.Combine(work, "ovz-node2", "run"));
            Assert.Equal("ovz-node1", (string?)group["runningOn"]);

            await lab["ovz-node1"].PowerCutAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            var warning = await watches["ovz-node2"].WaitAsync("fencing.disabled", "ovz-node1", Soon);
            Assert.Contains("WITHOUT FENCING", warning.Reason, StringComparison.Ordinal);
            await watches["ovz-node2"].WaitAsync("group.started", started.Subject, Soon);
            Assert.Contains("192.168.0.100/24", await AddressesAsync(network.Node2.Name), StringComparison.Ordinal);
            var records = File.ReadAllLines(Path.Combine(work, "records"));
            Assert.Contains(records, l => l.EndsWith(" ovz-node2 start svc", StringComparison.Ordinal));
            Assert.Equal("ovz-node2", (string?)(await GroupAsync(Path.Combine(work, "ovz-node2", "run")))["runningOn"]);
        }
        finally
        {
            await lab.DisposeAsync();
            TestPaths.DeleteQuietly(work);
        }
    }

    private static async Task<string> AddressesAsync(string netns)
    {
        var result = await ExternalTool.RunAsync("ip", ["-n", netns, "-o", "addr", "show", "dev", "eth0"]);
        return result.Output;
    }

    private static async Task<JsonObject> GroupAsync(string runDirectory)
    {
        using var client = new ControlClient(runDirectory);
        var status = JsonNode.Parse(await client.GetStatusJsonAsync(TestContext.Current.CancellationToken))!;
        return status["groups"]!.AsArray().Single()!.AsObject();
    }
}
