using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tandem.Core.Model;
using Tandem.Daemon;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Cli;

/// <summary>
/// The client commands (<c>status</c>, <c>events</c>) against a daemon hosted in this process from
/// a spec built in code: the CLI's own logic, independent of the configuration readers.
/// </summary>
public sealed class InProcessCliTests : IAsyncLifetime
{
    private readonly string _root = TestPaths.NewTempDirectory("tandem-ipc");
    private TandemDaemon _daemon = null!;

    private string RunDirectory => Path.Combine(_root, "run");

    public async ValueTask InitializeAsync()
    {
        var spec = new ClusterSpec { Nodes = [new NodeSpec("n1"), new NodeSpec("n2")], Sources = ["/etc/ha.d/ha.cf"] };
        _daemon = TandemDaemon.Create(spec, new DaemonOptions
        {
            NodeName = "n1",
            StateDirectory = Path.Combine(_root, "state"),
            RunDirectory = RunDirectory,
            NotifySocket = "",
            ConfigureLogging = b => b.ClearProviders(),
            RunClusterSubsystems = false,
        });
        await _daemon.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        TestPaths.DeleteQuietly(_root);
    }

    [Fact]
    public async Task Status_prints_the_node_and_its_sections()
    {
        var (rc, stdout, stderr) = await RunAsync("status", "--run-dir", RunDirectory);
        Assert.True(rc == 0, stderr);
        Assert.Matches(@"(?m)^Node: +n1 \(cluster linux-ha\)$", stdout);
        Assert.Contains("Configuration: /etc/ha.d/ha.cf", stdout, StringComparison.Ordinal);
        Assert.Contains("Groups (0):", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_json_is_the_daemons_document()
    {
        var (rc, stdout, _) = await RunAsync("status", "--json", "--run-dir", RunDirectory);
        Assert.Equal(0, rc);
        var status = JsonNode.Parse(stdout)!;
        Assert.Equal("n1", (string?)status["node"]);
        Assert.Equal(Environment.ProcessId, (int)status["pid"]!);
        Assert.IsType<JsonArray>(status["volumes"]);
    }

    [Fact]
    public async Task Events_prints_one_line_per_event_and_since_skips()
    {
        _daemon.Events.Publish("test.mark", "subject", "a reason");
        var (rc, stdout, _) = await RunAsync("events", "--run-dir", RunDirectory);
        Assert.Equal(0, rc);
        var lines = stdout.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"Z #3 n1 test\.mark subject: a reason$", lines[2]);

        (rc, stdout, _) = await RunAsync("events", "--since", "2", "--json", "--run-dir", RunDirectory);
        Assert.Equal(0, rc);
        Assert.Equal("test.mark", (string?)JsonNode.Parse(stdout.Trim())!["kind"]);
    }

    [Fact]
    public async Task A_follow_ends_with_exit_0_when_the_daemon_stops()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var follow = Tandem.Cli.Program.RunAsync(["events", "--follow", "--run-dir", RunDirectory], output, error);
        await _daemon.Events.WaitForSubscriberCountAsync(1, TestContext.Current.CancellationToken).WithinAsync(TimeSpan.FromSeconds(10), "the follower to subscribe");
        await _daemon.StopAsync(TestContext.Current.CancellationToken);
        var rc = await follow.WithinAsync(TimeSpan.FromSeconds(10), "events --follow to end after the daemon stopped");
        Assert.Equal(0, rc);
        Assert.Contains("daemon.stopped", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("the daemon closed the stream", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var rc = await Tandem.Cli.Program.RunAsync(args, output, error);
        return (rc, output.ToString(), error.ToString());
    }
}
