using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Cli;

/// <summary><c>tandem status --watch</c> against a real daemon: redrawn on events, not only on its timer.</summary>
public sealed class StatusWatchTests : IDisposable
{
    private readonly string _work = TestPaths.NewTempDirectory("tandem-watch");

    public void Dispose() => TestPaths.DeleteQuietly(_work);

    [Fact]
    public async Task Without_a_daemon_the_watch_says_it_waits_and_keeps_going()
    {
        var run = Path.Combine(_work, "run");
        await using var watch = await TandemProcess.RunAsync(["status", "--watch", "--frames", "2", "--run-dir", run], TimeSpan.FromSeconds(30));
        Assert.True(watch.ExitCode == 0, watch.ToString());
        var waits = watch.Stdout.Split('\n').Count(l => l.StartsWith("Waiting for the daemon: no daemon is running on", StringComparison.Ordinal));
        Assert.True(waits == 2, $"two frames that each say the daemon is awaited: {watch}");
    }

    [Fact]
    public async Task A_daemon_event_redraws_at_once_and_the_watch_survives_the_daemon_stopping()
    {
        var config = WriteSingleNodeConfig();
        var state = Path.Combine(_work, "state");
        var run = Path.Combine(_work, "run");
        await using var daemon = TandemProcess.Start(["daemon", "--config", config, "--node", "watch-node1", "--state-dir", state, "--run-dir", run]);
        await daemon.WaitForLineAsync("daemon.started", TimeSpan.FromSeconds(60), "the daemon to start");

        // An hour between timed redraws: every frame after the first must come from an event.
        await using var watch = TandemProcess.Start(["status", "--watch", "--json", "--interval", "1h", "--frames", "3", "--run-dir", run]);
        await watch.WaitForLineAsync("\"node\":\"watch-node1\"", TimeSpan.FromSeconds(30), "the first frame of the watch");

        daemon.Signal(15);
        await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await watch.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(watch.ExitCode == 0, watch.ToString());
        var frames = watch.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.True(frames.Count == 3, $"three frames: {watch}");
        Assert.Equal("watch-node1", (string?)frames[0]["node"]);
        // The last frame is drawn once the daemon is gone: it says so instead of ending the watch.
        Assert.True(frames[2].ContainsKey("unreachable"), $"the last frame reports the daemon unreachable: {watch}");
    }

    private string WriteSingleNodeConfig()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Dispose();
        var path = Path.Combine(_work, "tandem.toml");
        File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $$"""
            [cluster]
            name = "watch-it"

            [timing]
            keepalive = "100ms"
            deadtime = "1s"
            initdead = "3s"

            [[node]]
            name = "watch-node1"

            [[node]]
            name = "watch-node2"

            [[link]]
            kind = "ucast"
            name = "lo"
            port = {{port}}

            [[link.endpoint]]
            address = "127.0.0.1"
            port = {{port}}
            node = "watch-node1"

            [[link.endpoint]]
            address = "127.0.0.1"
            port = {{port + 1}}
            node = "watch-node2"

            [auth]
            active = 1

            [[auth.key]]
            index = 1
            method = "sha256"
            secret = "watch-integration-secret"

            [fencing]
            disabled = true
            """));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
