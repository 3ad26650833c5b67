using System.Text.Json.Nodes;
using Tandem.Core.Events;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Lab;
using Tandem.Lab.Processes;
using Xunit;

namespace Tandem.IntegrationTests.Replication;

/// <summary>One node of a <see cref="ReplicatedPair"/>: its files, its daemon (a lab node), and a cursor into its event stream.</summary>
internal sealed class ReplicaNode(string name, string address, string directory) : IAsyncDisposable
{
    public const int SIGKILL = Signals.SIGKILL;
    public const int SIGTERM = Signals.SIGTERM;
    public const int SIGCONT = Signals.SIGCONT;
    public const int SIGSTOP = Signals.SIGSTOP;

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private readonly LabNode _node = new(TandemProcess.Command, new LabNodeOptions(name, directory) { DaemonArguments = ["--no-realtime"], DisposeGrace = TimeSpan.Zero });

    public string Name { get; } = name;

    public string Address { get; } = address;

    public string Directory { get; } = directory;

    public string Backing => BackingOf("r0");

    public string RunDirectory => _node.RunDirectory;

    public string StateDirectory => _node.StateDirectory;

    public string Socket => SocketOf("r0");

    public string NbdUri => $"nbd+unix:///r0?socket={Socket}";

    public string[] ConfigArgs
    {
        get => [.. _node.ConfigArguments];
        set => _node.ConfigArguments = value;
    }

    /// <summary>The backing file of <paramref name="resource"/> on this node.</summary>
    public string BackingOf(string resource) => Path.Combine(Directory, resource + ".img");

    /// <summary>The NBD socket the daemon serves <paramref name="resource"/> on.</summary>
    public string SocketOf(string resource) => Path.Combine(RunDirectory, "nbd", resource + ".sock");

    public TandemProcess? Daemon { get; private set; }

    /// <summary>The sequence number of the last event a wait matched (a restarted daemon numbers from 1 again).</summary>
    public long Cursor { get; private set; }

    public async Task StartAsync()
    {
        Cursor = 0;
        await _node.StartAsync(StartDeadline, TestContext.Current.CancellationToken);
        Daemon = TandemProcess.Of(_node.Process!);
    }

    public void Signal(int signal) => _node.Signal(signal);

    /// <summary>Kills the daemon by pid (a power cut) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        await _node.PowerCutAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Daemon = null;
    }

    /// <summary>Stops the daemon with SIGTERM and expects a clean exit (0).</summary>
    public async Task StopAsync()
    {
        var code = await _node.StopAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.True(code == 0, Daemon!.ToString());
    }

    /// <summary>Runs <c>tandem ARGS</c> for this node (its run directory; create-md also its configuration and name).</summary>
    public async Task<TandemProcess> TandemAsync(params string[] args)
    {
        string[] extra = args.Length > 1 && args[0] == "volume" && args[1] == "create-md"
            ? [.. ConfigArgs, "--node", Name, "--run-dir", RunDirectory]
            : ["--run-dir", RunDirectory];
        return await TandemProcess.RunAsync([.. args, .. extra], TimeSpan.FromSeconds(90));
    }

    public async Task<TandemProcess> TandemOkAsync(params string[] args)
    {
        var run = await TandemAsync(args);
        Assert.True(run.ExitCode == 0, $"{Name}: {run}");
        return run;
    }

    /// <summary>The <c>replication</c> object of r0, this node's only volume, in its status.</summary>
    public async Task<JsonObject> ReplicationAsync()
    {
        var volume = Assert.Single(await VolumesAsync());
        return Assert.IsType<JsonObject>(volume!["replication"]);
    }

    /// <summary>The <c>replication</c> object of <paramref name="resource"/> in this node's status.</summary>
    public async Task<JsonObject> ReplicationAsync(string resource)
    {
        var volume = (await VolumesAsync()).Single(v => (string?)v!["name"] == resource);
        return Assert.IsType<JsonObject>(volume!["replication"]);
    }

    /// <summary>The <c>volumes</c> of this node's status.</summary>
    public async Task<JsonArray> VolumesAsync()
    {
        using var client = _node.Control();
        var status = JsonNode.Parse(await client.GetStatusJsonAsync(TestContext.Current.CancellationToken))!;
        return status["volumes"]!.AsArray();
    }

    /// <summary>
    /// Waits for an event of this node's daemon after <paramref name="since"/> (default: after the
    /// last matched event) that matches; the failure names what was awaited and lists the events.
    /// </summary>
    public async Task<ClusterEvent> WaitForEventAsync(Func<ClusterEvent, bool> match, string what, TimeSpan? timeout = null, long? since = null)
    {
        var hit = await _node.Events.WaitAsync(match, what, timeout ?? TimeSpan.FromSeconds(30), since ?? Cursor, TestContext.Current.CancellationToken);
        Cursor = Math.Max(Cursor, hit.Event.Sequence);
        return hit.Event;
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        Daemon = null;
    }
}
