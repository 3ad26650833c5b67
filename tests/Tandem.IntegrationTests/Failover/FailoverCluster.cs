using System.Globalization;
using System.Text.Json.Nodes;
using Tandem.Core.Events;
using Tandem.Daemon.Control;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Failover;

/// <summary>
/// Two real daemons (fo1, fo2) on loopback with a native configuration written by the test: one
/// ucast link on 127.0.0.1 (a port each), keepalive 100 ms / deadtime 1 s, and one group "web"
/// whose preferred node is fo1: an R1 script that records each start and stop with a timestamp
/// into a shared file, then ocf:heartbeat:Dummy monitored every 500 ms. Fencing is a script device
/// that records whom it fenced and "powers it off" (kills that node's daemon, which the test
/// started), and fails while a flag file exists; or fencing is disabled.
/// </summary>
internal sealed class FailoverCluster : IAsyncDisposable
{
    public const string Group = "web";
    private static int s_instances;
    private readonly Dictionary<string, TandemProcess> _daemons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EventWatch> _watches = new(StringComparer.Ordinal);

    private FailoverCluster(string work, string config)
    {
        Work = work;
        ConfigPath = config;
    }

    public string Work { get; }

    public string ConfigPath { get; }

    /// <summary>The file every start, stop and fence is appended to: "NANOSECONDS NODE start|stop|fenced NAME".</summary>
    public string Records => Path.Combine(Work, "records");

    /// <summary>While this file exists, the recorder's start fails on that node.</summary>
    public string FailStartFlag(string node) => Path.Combine(Work, "fail-start." + node);

    /// <summary>While this file exists, the recorder's stop fails on that node.</summary>
    public string FailStopFlag(string node) => Path.Combine(Work, "fail-stop." + node);

    /// <summary>While this file exists, the fence device fails.</summary>
    public string FenceFailsFlag => Path.Combine(Work, "fence-fails");

    public static FailoverCluster Create(string autoFailback, bool fencing)
    {
        if (!File.Exists("/usr/lib/ocf/resource.d/heartbeat/Dummy"))
        {
            Assert.Skip("ocf:heartbeat:Dummy is not installed (Debian package resource-agents)");
        }
        var work = TestPaths.NewTempDirectory("tandem-fo");
        var instance = Interlocked.Increment(ref s_instances);
        var port = 40000 + (Environment.ProcessId % 2000 * 10) + (instance * 2 % 10);
        var recorder = Path.Combine(work, "recorder");
        File.WriteAllText(recorder, $$"""
            #!/bin/sh
            # R1 script: recorder NAME start|stop|status; one state file per node.
            state="{{work}}/state.$TANDEM_TEST_NODE.$1"
            case "$2" in
              start) if [ -e "{{work}}/fail-start.$TANDEM_TEST_NODE" ]; then echo "told to fail"; exit 1; fi
                     touch "$state"; echo "$(date +%s%N) $TANDEM_TEST_NODE start $1" >> "{{work}}/records" ;;
              stop)  if [ -e "{{work}}/fail-stop.$TANDEM_TEST_NODE" ]; then echo "device is busy"; exit 1; fi
                     rm -f "$state"; echo "$(date +%s%N) $TANDEM_TEST_NODE stop $1" >> "{{work}}/records" ;;
              status) if [ -e "$state" ]; then echo "$1 running"; else echo "$1 stopped"; fi ;;
            esac
            exit 0

            """);
        var fence = Path.Combine(work, "fence");
        File.WriteAllText(fence, $$"""
            #!/bin/sh
            # Fence script: fence ACTION NODE. Fails while the flag file exists.
            echo "$(date +%s%N) $2 $1" >> "{{work}}/fence-calls"
            if [ -e "{{work}}/fence-fails" ]; then echo "the power switch does not answer"; exit 1; fi
            echo "$(date +%s%N) $2 fenced all" >> "{{work}}/records"
            # "Power off": kill that node's daemon, which this test started (checked by its command line).
            pid=$(cat "{{work}}/$2.pid" 2>/dev/null)
            if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--node $2 "; then kill -9 "$pid"; fi
            echo "$2 is off"
            exit 0

            """);
        foreach (var script in new[] { recorder, fence })
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var fencingToml = fencing
            ? $$"""
                [fencing]

                [[fencing.device]]
                name = "test-switch"
                kind = "script"
                command = "{{fence}}"
                parameters = { timeout = "10" }
                """
            : """
                [fencing]
                disabled = true
                """;
        var config = Path.Combine(work, "tandem.toml");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            [cluster]
            name = "failover-it-{{instance}}"
            auto_failback = "{{autoFailback}}"

            [timing]
            keepalive = "100ms"
            warntime = "500ms"
            deadtime = "1s"
            initdead = "10s"

            [[node]]
            name = "fo1"

            [[node]]
            name = "fo2"

            [[link]]
            kind = "ucast"
            name = "lo"
            port = {{port}}

            [[link.endpoint]]
            address = "127.0.0.1"
            port = {{port}}
            node = "fo1"

            [[link.endpoint]]
            address = "127.0.0.1"
            port = {{port + 1}}
            node = "fo2"

            [auth]
            active = 1

            [[auth.key]]
            index = 1
            method = "sha256"
            secret = "failover-integration-secret"

            [[group]]
            name = "{{Group}}"
            preferred_node = "fo1"

            [[group.resource]]
            id = "svc"
            agent = "recorder"
            class = "heartbeat"
            arguments = ["svc"]
            parameters = { path = "{{recorder}}" }
            stop_timeout = "5s"

            [[group.resource]]
            id = "dummy"
            agent = "Dummy"
            class = "ocf"
            provider = "heartbeat"
            monitor_interval = "500ms"
            monitor_timeout = "5s"

            {{fencingToml}}

            """));
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new FailoverCluster(work, config);
    }

    public string RunDirectory(string node) => Path.Combine(Work, node, "run");

    /// <summary>Where ocf:heartbeat:Dummy keeps its state file on a node (HA_RSCTMP).</summary>
    public string RscTmp(string node) => Path.Combine(Work, node, "rsctmp");

    public TandemProcess Daemon(string node) => _daemons[node];

    public EventWatch Events(string node) => _watches[node];

    /// <summary>Starts a node's daemon (again, after a stop) and follows its events once it is up.</summary>
    public async Task StartAsync(string node)
    {
        if (_watches.Remove(node, out var old))
        {
            await old.DisposeAsync();
        }
        if (_daemons.Remove(node, out var previous))
        {
            await previous.DisposeAsync();
        }
        Directory.CreateDirectory(RscTmp(node));
        var daemon = TandemProcess.Start(
            ["daemon", "--config", ConfigPath, "--node", node, "--state-dir", Path.Combine(Work, node, "state"), "--run-dir", RunDirectory(node), "--no-realtime"],
            environment: new Dictionary<string, string> { ["TANDEM_TEST_NODE"] = node, ["HA_RSCTMP"] = RscTmp(node) });
        _daemons[node] = daemon;
        File.WriteAllText(Path.Combine(Work, node + ".pid"), daemon.Pid.ToString(CultureInfo.InvariantCulture));
        await daemon.WaitForLineAsync("daemon.started", TimeSpan.FromSeconds(60), $"{node} to start");
        _watches[node] = EventWatch.Start(node, RunDirectory(node));
    }

    public Task StartBothAsync() => Task.WhenAll(StartAsync("fo1"), StartAsync("fo2"));

    /// <summary>SIGKILL: the daemon dies without releasing anything, as in a crash.</summary>
    public async Task KillAsync(string node)
    {
        var daemon = _daemons[node];
        daemon.Signal(9);
        await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGTERM: the daemon releases its groups and leaves.</summary>
    public async Task StopAsync(string node)
    {
        var daemon = _daemons[node];
        daemon.Signal(15);
        await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(daemon.ExitCode == 0, daemon.ToString());
    }

    public async Task<JsonObject> StatusAsync(string node)
    {
        using var client = new ControlClient(RunDirectory(node));
        var json = await client.GetStatusJsonAsync(TestContext.Current.CancellationToken);
        return JsonNode.Parse(json)!.AsObject();
    }

    public async Task<JsonObject> GroupStatusAsync(string node)
    {
        var status = await StatusAsync(node);
        return status["groups"]!.AsArray().Single(g => (string?)g!["name"] == Group)!.AsObject();
    }

    /// <summary>Runs the real <c>tandem</c> command against a node's daemon.</summary>
    public async Task<TandemProcess> CliAsync(string node, params string[] args)
    {
        var process = await TandemProcess.RunAsync([.. args, "--run-dir", RunDirectory(node)]);
        return process;
    }

    /// <summary>The records in time order.</summary>
    public IReadOnlyList<Record> ReadRecords() =>
        !File.Exists(Records) ? []
        : [.. File.ReadAllLines(Records).Where(l => l.Length > 0).Select(Record.Parse).OrderBy(r => r.Nanoseconds)];

    /// <summary>
    /// Asserts from the records that the group's script never ran on two nodes at once: a start on a
    /// node while it runs on the other one (not stopped there, and that node not fenced) fails.
    /// </summary>
    public void AssertNeverOnBoth()
    {
        var running = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in ReadRecords())
        {
            switch (r.Action)
            {
                case "start":
                    Assert.True(running.Count == 0 || running.Contains(r.Node),
                        $"{r.Node} started {r.Name} at {r.Nanoseconds} while it ran on {string.Join(", ", running)}:\n{File.ReadAllText(Records)}");
                    running.Add(r.Node);
                    break;
                case "stop":
                case "fenced":
                    running.Remove(r.Node);
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var watch in _watches.Values)
        {
            await watch.DisposeAsync();
        }
        // Both at once: a node stopping alone hands its groups to the other, which would start them only to stop them again.
        foreach (var daemon in _daemons.Values.Where(d => !d.HasExited))
        {
            daemon.Signal(15);
        }
        foreach (var daemon in _daemons.Values)
        {
            if (!daemon.HasExited)
            {
                try
                {
                    await daemon.WaitForExitAsync(TimeSpan.FromSeconds(15));
                }
                catch (Xunit.Sdk.XunitException)
                {
                    // DisposeAsync below kills it.
                }
            }
            await daemon.DisposeAsync();
        }
        TestPaths.DeleteQuietly(Work);
    }

    public sealed record Record(long Nanoseconds, string Node, string Action, string Name)
    {
        public static Record Parse(string line)
        {
            var parts = line.Split(' ');
            return new Record(long.Parse(parts[0], CultureInfo.InvariantCulture), parts[1], parts[2], parts[3]);
        }

        public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(Nanoseconds / 1_000_000);
    }
}

/// <summary>Follows one daemon's events in the background, so that a test can wait for one with a deadline.</summary>
internal sealed class EventWatch : IAsyncDisposable
{
    private readonly List<ClusterEvent> _events = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ControlClient _client;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _pump = Task.CompletedTask;

    private EventWatch(string node, string runDirectory)
    {
        Node = node;
        _client = new ControlClient(runDirectory);
    }

    public string Node { get; }

    public static EventWatch Start(string node, string runDirectory)
    {
        var watch = new EventWatch(node, runDirectory);
        watch._pump = watch.PumpAsync();
        return watch;
    }

    public IReadOnlyList<ClusterEvent> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Waits for the first event (after <paramref name="after"/>) that matches.</summary>
    public async Task<ClusterEvent> WaitAsync(string kind, string subject, TimeSpan timeout, long after = 0, Func<ClusterEvent, bool>? where = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var hit = _events.FirstOrDefault(e => e.Sequence > after && e.Kind == kind && e.Subject == subject && (where?.Invoke(e) ?? true));
                if (hit is not null)
                {
                    return hit;
                }
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{Node}: waited {timeout.TotalSeconds:0} s for event {kind} {subject}, in vain. Events:\n{Describe()}");
            }
        }
    }

    public string Describe() => string.Join('\n', All.Select(e => $"#{e.Sequence} {e.Time:HH:mm:ss.fff} {e.Kind} {e.Subject}: {e.Reason}"));

    public long Last
    {
        get
        {
            lock (_lock)
            {
                return _events.Count == 0 ? 0 : _events[^1].Sequence;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _pump;
        }
        catch (Exception e) when (e is OperationCanceledException or DaemonUnreachableException or HttpRequestException or IOException)
        {
        }
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        await Task.Yield();
        try
        {
            await foreach (var ev in _client.FollowEventsAsync(0, _stop.Token))
            {
                lock (_lock)
                {
                    _events.Add(ev);
                    var changed = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    changed.TrySetResult();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or DaemonUnreachableException or HttpRequestException or IOException)
        {
            // The daemon went away (killed or stopped): the stream is over.
        }
    }
}
