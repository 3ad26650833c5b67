using System.Diagnostics;
using System.Text.Json.Nodes;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Daemon;

/// <summary>
/// The end-to-end flow of two real daemons, one per node, each with its own state and run
/// directories: both answer <c>tandem status</c>, stream events, refuse a second daemon on their run
/// directory, and stop on SIGTERM within a few seconds with exit code 0.
/// </summary>
internal static class TwoNodeScenario
{
    private const int SIGINT = 2;
    private const int SIGTERM = 15;
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(10);

    public sealed record Node(string Name, string StateDirectory, string RunDirectory, string? Netns)
    {
        /// <summary>This node's own configuration arguments, when they differ from the shared ones (a per-node serial device).</summary>
        public IReadOnlyList<string>? ConfigArgs { get; init; }

        /// <summary>The links this node must see its peers on (empty: membership is not checked).</summary>
        public IReadOnlyList<string> PeerLinks { get; init; } = [];
    }

    public static async Task RunAsync(IReadOnlyList<string> configArgs, IReadOnlyList<Node> nodes)
    {
        var daemons = new List<TandemProcess>();
        try
        {
            foreach (var node in nodes)
            {
                daemons.Add(TandemProcess.Start(DaemonArgs(node.ConfigArgs ?? configArgs, node), node.Netns));
            }
            for (var i = 0; i < nodes.Count; i++)
            {
                await daemons[i].WaitForLineAsync("daemon.started", StartDeadline, $"daemon of {nodes[i].Name} to start");
            }

            for (var i = 0; i < nodes.Count; i++)
            {
                await SeesItsPeersAsync(nodes[i], nodes.Where(n => n != nodes[i]).Select(n => n.Name).ToList());
            }
            for (var i = 0; i < nodes.Count; i++)
            {
                await AnswersStatusAsync(nodes[i], daemons[i]);
                await ListsItsEventsAsync(nodes[i]);
            }
            await FollowSeesStartedAsync(nodes[0]);
            await SecondDaemonIsRefusedAsync(nodes[0].ConfigArgs ?? configArgs, nodes[0], daemons[0]);

            // The last node is stopped while a follower watches: the follow ends by itself, exit 0.
            await using var follower = TandemProcess.Start(["events", "--follow", "--run-dir", nodes[^1].RunDirectory]);
            await follower.WaitForLineAsync("daemon.started", StartDeadline, $"a follower of {nodes[^1].Name} to catch up");

            for (var i = 0; i < nodes.Count; i++)
            {
                await StopsOnSigtermAsync(nodes[i], daemons[i]);
                if (i < nodes.Count - 1 && nodes[^1].PeerLinks.Count > 0)
                {
                    // A clean stop is announced: the survivor reports it at once, not as a death after deadtime.
                    await follower.WaitForLineAsync($" node.left {nodes[i].Name}:", StopDeadline, $"{nodes[^1].Name} to report {nodes[i].Name} left");
                }
            }
            await follower.WaitForExitAsync(StopDeadline);
            Assert.True(follower.ExitCode == 0, follower.ToString());
            Assert.Contains("daemon.stopping", follower.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var daemon in daemons)
            {
                await daemon.DisposeAsync();
            }
        }
    }

    public static string[] DaemonArgs(IReadOnlyList<string> configArgs, Node node) =>
        ["daemon", .. configArgs, "--node", node.Name, "--state-dir", node.StateDirectory, "--run-dir", node.RunDirectory];

    private static async Task AnswersStatusAsync(Node node, TandemProcess daemon)
    {
        // The CLI runs in the root namespace: a Unix socket is reached through the file system,
        // whatever network namespace the daemon is in.
        await using var text = await TandemProcess.RunAsync(["status", "--run-dir", node.RunDirectory]);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches($@"(?m)^Node: +{node.Name} ", text.Stdout);
        Assert.Contains("Configuration: ", text.Stdout, StringComparison.Ordinal);
        foreach (var heading in new[] { "Links (", "Peers (", "Volumes (", "Groups (" })
        {
            Assert.Contains(heading, text.Stdout, StringComparison.Ordinal);
        }

        await using var json = await TandemProcess.RunAsync(["status", "--json", "--run-dir", node.RunDirectory]);
        Assert.True(json.ExitCode == 0, json.ToString());
        var status = JsonNode.Parse(json.Stdout)!;
        Assert.Equal(node.Name, (string?)status["node"]);
        Assert.Equal(daemon.Pid, (int)status["pid"]!);
        Assert.NotEmpty(status["configSources"]!.AsArray());
        Assert.Equal(node.RunDirectory, (string?)status["runDirectory"]);
        foreach (var section in new[] { "links", "peers", "volumes", "groups" })
        {
            Assert.IsType<JsonArray>(status[section]);
        }
    }

    private static async Task SeesItsPeersAsync(Node node, IReadOnlyList<string> peers)
    {
        if (node.PeerLinks.Count == 0)
        {
            return;
        }
        // Heartbeats are the first thing two members exchange: each node must report every peer up
        // on every link of the configuration.
        await using var follow = TandemProcess.Start(["events", "--follow", "--run-dir", node.RunDirectory]);
        foreach (var peer in peers)
        {
            await follow.WaitForLineAsync($" node.up {peer}:", StartDeadline, $"{node.Name} to report {peer} up");
            foreach (var link in node.PeerLinks)
            {
                await follow.WaitForLineAsync($" link.up {peer}/{link}:", StartDeadline, $"{node.Name} to hear {peer} on link {link}");
            }
        }
        follow.Signal(SIGINT);
        await follow.WaitForExitAsync(StopDeadline);

        await using var json = await TandemProcess.RunAsync(["status", "--json", "--run-dir", node.RunDirectory]);
        var status = JsonNode.Parse(json.Stdout)!;
        foreach (var peer in peers)
        {
            var entry = status["peers"]!.AsArray().Single(p => (string?)p!["name"] == peer)!;
            Assert.Contains((string?)entry["status"], new[] { "up", "active" });
        }
        foreach (var link in node.PeerLinks)
        {
            var entry = status["links"]!.AsArray().Single(l => (string?)l!["name"] == link)!;
            Assert.All(peers, peer => Assert.Equal("up", (string?)entry["peers"]![peer]));
        }
    }

    private static async Task ListsItsEventsAsync(Node node)
    {
        await using var events = await TandemProcess.RunAsync(["events", "--run-dir", node.RunDirectory]);
        Assert.True(events.ExitCode == 0, events.ToString());
        var lines = events.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z #1 " + node.Name + " config.loaded config: ", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z #\d+ " + node.Name + " daemon.started daemon: "));

        await using var json = await TandemProcess.RunAsync(["events", "--json", "--since", "1", "--run-dir", node.RunDirectory]);
        Assert.True(json.ExitCode == 0, json.ToString());
        var first = JsonNode.Parse(json.Stdout.Split('\n')[0])!;
        Assert.Equal(2, (long)first["sequence"]!);
        Assert.Equal(node.Name, (string?)first["node"]);
    }

    private static async Task FollowSeesStartedAsync(Node node)
    {
        await using var follow = TandemProcess.Start(["events", "--follow", "--run-dir", node.RunDirectory]);
        await follow.WaitForLineAsync("daemon.started", StartDeadline, $"events --follow on {node.Name} to show daemon.started");
        follow.Signal(SIGINT);
        await follow.WaitForExitAsync(StopDeadline);
        Assert.True(follow.ExitCode == 0, follow.ToString());
    }

    private static async Task SecondDaemonIsRefusedAsync(IReadOnlyList<string> configArgs, Node node, TandemProcess first)
    {
        await using var second = TandemProcess.Start(DaemonArgs(configArgs, node), node.Netns);
        await second.WaitForExitAsync(StartDeadline);
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains("already running", second.Stderr, StringComparison.Ordinal);
        Assert.Contains($"pid {first.Pid}", second.Stderr, StringComparison.Ordinal);
        Assert.False(first.HasExited, "the refused second daemon disturbed the first");
        // ... and the first still answers on its socket.
        await using var status = await TandemProcess.RunAsync(["status", "--run-dir", node.RunDirectory]);
        Assert.True(status.ExitCode == 0, status.ToString());
    }

    private static async Task StopsOnSigtermAsync(Node node, TandemProcess daemon)
    {
        var clock = Stopwatch.StartNew();
        daemon.Signal(SIGTERM);
        await daemon.WaitForExitAsync(StopDeadline);
        Assert.True(daemon.ExitCode == 0, $"{node.Name} exited with {daemon.ExitCode} after SIGTERM:\n{daemon}");
        Assert.True(clock.Elapsed < StopDeadline, $"{node.Name} took {clock.Elapsed} to stop");
        Assert.False(File.Exists(Path.Combine(node.RunDirectory, "control.sock")), $"{node.Name} left its control socket behind");
        Assert.False(File.Exists(Path.Combine(node.RunDirectory, "tandem.pid")), $"{node.Name} left its pid file behind");
        var log = await File.ReadAllLinesAsync(Path.Combine(node.StateDirectory, "events.jsonl"), TestContext.Current.CancellationToken);
        Assert.Contains(log, l => l.Contains("\"kind\":\"daemon.stopping\"", StringComparison.Ordinal));

        await using var gone = await TandemProcess.RunAsync(["status", "--run-dir", node.RunDirectory]);
        Assert.True(gone.ExitCode == 3, gone.ToString());
    }
}
