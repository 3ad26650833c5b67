using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Daemon;

/// <summary>
/// The same two-node flow without root: a classic configuration whose every address is on
/// 127.0.0.0/8, so that the daemons need no network namespace.
/// </summary>
public sealed class LoopbackDaemonTests : IDisposable
{
    private readonly string _work = TestPaths.NewTempDirectory("tandem-lo");

    public void Dispose() => TestPaths.DeleteQuietly(_work);

    [Fact]
    public async Task Two_loopback_nodes_see_each_other_run_side_by_side_and_stop_on_sigterm()
    {
        var config = WriteNativeLoopbackCluster();
        string[] links = ["lo-addr", "lo-port"];
        await TwoNodeScenario.RunAsync(config,
        [
            new("lo-node1", Path.Combine(_work, "n1", "state"), Path.Combine(_work, "n1", "run"), null) { PeerLinks = links },
            new("lo-node2", Path.Combine(_work, "n2", "state"), Path.Combine(_work, "n2", "run"), null) { PeerLinks = links },
        ]);
    }

    /// <summary>
    /// A native configuration for two nodes on one machine: each node binds its own loopback
    /// address on one link and its own port on the other (the classic files cannot say that).
    /// </summary>
    private string[] WriteNativeLoopbackCluster()
    {
        var port = 30000 + (Environment.ProcessId % 15000 * 2);
        var path = Path.Combine(_work, "tandem.toml");
        File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $$"""
            [cluster]
            name = "loopback-it"
            auto_failback = "off"

            [timing]
            keepalive = "100ms"
            deadtime = "1s"
            initdead = "3s"

            [[node]]
            name = "lo-node1"

            [[node]]
            name = "lo-node2"

            [[link]]
            kind = "ucast"
            name = "lo-addr"
            port = {{port}}

            [[link.endpoint]]
            address = "127.0.0.1"
            node = "lo-node1"

            [[link.endpoint]]
            address = "127.0.0.2"
            node = "lo-node2"

            [[link]]
            kind = "ucast"
            name = "lo-port"
            port = {{port + 1}}

            [[link.endpoint]]
            address = "127.0.0.1"
            port = {{port + 1}}
            node = "lo-node1"

            [[link.endpoint]]
            address = "127.0.0.1"
            port = {{port + 2}}
            node = "lo-node2"

            [auth]
            active = 1

            [[auth.key]]
            index = 1
            method = "sha256"
            secret = "loopback-integration-secret"

            [fencing]
            disabled = true

            """));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return ["--config", path];
    }

    [Fact]
    public async Task A_node_that_is_not_a_member_does_not_start()
    {
        var config = WriteLoopbackCluster();
        var run = Path.Combine(_work, "x", "run");
        await using var daemon = await TandemProcess.RunAsync(
            ["daemon", .. config, "--node", "no-such-node", "--state-dir", Path.Combine(_work, "x", "state"), "--run-dir", run]);
        Assert.True(daemon.ExitCode == 1, daemon.ToString());
        Assert.Contains("no-such-node", daemon.Stderr, StringComparison.Ordinal);
        Assert.Contains("not a member", daemon.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(run, "control.sock")));
    }

    [Fact]
    public async Task Sigint_stops_a_daemon_as_cleanly_as_sigterm()
    {
        var config = WriteLoopbackCluster();
        var node = new TwoNodeScenario.Node("lo-node1", Path.Combine(_work, "s", "state"), Path.Combine(_work, "s", "run"), null);
        await using var daemon = TandemProcess.Start(TwoNodeScenario.DaemonArgs(config, node));
        await daemon.WaitForLineAsync("daemon.started", TimeSpan.FromSeconds(60), "the daemon to start");
        daemon.Signal(2);
        await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(daemon.ExitCode == 0, daemon.ToString());
        Assert.False(File.Exists(Path.Combine(node.RunDirectory, "control.sock")));
    }

    [Fact]
    public async Task Readiness_and_stopping_are_reported_to_the_notify_socket()
    {
        var config = WriteLoopbackCluster();
        var notifyPath = Path.Combine(_work, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var node = new TwoNodeScenario.Node("lo-node2", Path.Combine(_work, "y", "state"), Path.Combine(_work, "y", "run"), null);
        await using var daemon = TandemProcess.Start(TwoNodeScenario.DaemonArgs(config, node), environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath });

        var buffer = new byte[4096];
        var received = notify.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken).AsTask();
        // A daemon that exits instead of getting ready fails the test at once, with its output.
        var first = await Task.WhenAny(received, daemon.Exited).WithinAsync(TimeSpan.FromSeconds(60), "READY=1 from the daemon");
        if (first != received)
        {
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10)); // drain its output for the message
            Assert.Fail($"the daemon exited before it was ready: {daemon}");
        }
        var ready = Encoding.UTF8.GetString(buffer, 0, await received);
        Assert.StartsWith("READY=1\n", ready, StringComparison.Ordinal);
        Assert.Contains("STATUS=node lo-node2 running", ready, StringComparison.Ordinal);
        // Ready means ready: the control socket answers now, without retrying.
        await using (var status = await TandemProcess.RunAsync(["status", "--run-dir", node.RunDirectory]))
        {
            Assert.True(status.ExitCode == 0, status.ToString());
        }

        daemon.Signal(15);
        var n = await notify.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken).AsTask()
            .WithinAsync(TimeSpan.FromSeconds(10), "STOPPING=1 from the daemon");
        Assert.StartsWith("STOPPING=1", Encoding.UTF8.GetString(buffer, 0, n), StringComparison.Ordinal);
        await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(daemon.ExitCode == 0, daemon.ToString());
    }

    /// <summary>Writes ha.cf, authkeys (0600), haresources and drbd.conf naming only 127.0.0.1 and 127.0.0.2.</summary>
    private string[] WriteLoopbackCluster()
    {
        var dir = Path.Combine(_work, "ha.d");
        Directory.CreateDirectory(dir);
        // Ports from the test's own pid, to keep parallel runs apart; nothing listens on them yet.
        var port = 20000 + (Environment.ProcessId % 20000);
        File.WriteAllText(Path.Combine(dir, "ha.cf"), string.Create(CultureInfo.InvariantCulture, $"""
            keepalive 1
            warntime 5
            deadtime 10
            initdead 20
            udpport {port}
            ucast lo 127.0.0.1
            ucast lo 127.0.0.2
            auto_failback off
            node lo-node1
            node lo-node2

            """));
        var authkeys = Path.Combine(dir, "authkeys");
        File.WriteAllText(authkeys, "auth 1\n1 sha1 loopback-test-secret\n");
        File.SetUnixFileMode(authkeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(dir, "haresources"), "lo-node1 drbddisk::r0\n");
        var drbd = Path.Combine(dir, "drbd.conf");
        File.WriteAllText(drbd, string.Create(CultureInfo.InvariantCulture, $$"""
            resource r0 {
              protocol C;
              on lo-node1 {
                device    /dev/drbd0;
                disk      {{_work}}/disk1.img;
                address   127.0.0.1:{{port + 1}};
                meta-disk internal;
              }
              on lo-node2 {
                device    /dev/drbd0;
                disk      {{_work}}/disk2.img;
                address   127.0.0.2:{{port + 1}};
                meta-disk internal;
              }
            }

            """));
        return ["--ha-dir", dir, "--drbd-conf", drbd];
    }
}
