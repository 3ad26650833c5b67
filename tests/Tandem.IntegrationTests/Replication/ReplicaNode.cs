using System.Text.Json.Nodes;
using Tandem.Core.Events;
using Tandem.Daemon.Control;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Replication;

/// <summary>One node of a <see cref="ReplicatedPair"/>: its files, its daemon, and a cursor into its event stream.</summary>
internal sealed class ReplicaNode(string name, string address, string directory) : IAsyncDisposable
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    public string Name { get; } = name;

    public string Address { get; } = address;

    public string Directory { get; } = directory;

    public string Backing => BackingOf("r0");

    public string RunDirectory => Path.Combine(Directory, "run");

    public string StateDirectory => Path.Combine(Directory, "state");

    public string Socket => SocketOf("r0");

    public string NbdUri => $"nbd+unix:///r0?socket={Socket}";

    public string[] ConfigArgs { get; set; } = [];

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
        Daemon = TandemProcess.Start(["daemon", .. ConfigArgs, "--node", Name, "--state-dir", StateDirectory, "--run-dir", RunDirectory, "--no-realtime"]);
        await Daemon.WaitForLineAsync("daemon.started", TimeSpan.FromSeconds(60), $"the daemon of {Name} to start");
    }

    public void Signal(int signal) => Daemon!.Signal(signal);

    /// <summary>Kills the daemon (a power cut) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        Daemon!.Signal(SIGKILL);
        await Daemon.WaitForExitAsync(TimeSpan.FromSeconds(20));
        await Daemon.DisposeAsync();
        Daemon = null;
    }

    /// <summary>Stops the daemon with SIGTERM and expects a clean exit (0).</summary>
    public async Task StopAsync()
    {
        Daemon!.Signal(SIGTERM);
        await Daemon.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(Daemon.ExitCode == 0, Daemon.ToString());
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
        using var client = new ControlClient(RunDirectory);
        var status = JsonNode.Parse(await client.GetStatusJsonAsync(TestContext.Current.CancellationToken))!;
        return status["volumes"]!.AsArray();
    }

    /// <summary>
    /// Follows this node's event stream from <paramref name="since"/> (default: after the last
    /// matched event) until an event matches; the failure names what was awaited and lists the events.
    /// </summary>
    public async Task<ClusterEvent> WaitForEventAsync(Func<ClusterEvent, bool> match, string what, TimeSpan? timeout = null, long? since = null)
    {
        using var client = new ControlClient(RunDirectory);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        var seen = new List<ClusterEvent>();
        try
        {
            await foreach (var ev in client.FollowEventsAsync(since ?? Cursor, cts.Token))
            {
                seen.Add(ev);
                if (match(ev))
                {
                    Cursor = Math.Max(Cursor, ev.Sequence);
                    return ev;
                }
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
        }
        throw new Xunit.Sdk.XunitException(
            $"waited {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s for {what}, in vain; events of {Name} since #{since ?? Cursor}:\n"
            + string.Join('\n', seen.Select(e => $"#{e.Sequence} {e.Kind} {e.Subject}: {e.Reason}")));
    }

    public async ValueTask DisposeAsync()
    {
        if (Daemon is not null)
        {
            await Daemon.DisposeAsync();
            Daemon = null;
        }
    }
}
