using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Daemon.Control;
using Tandem.Lab;
using Tandem.Lab.Configuration;
using Tandem.Lab.Network;
using Tandem.Lab.Events;
using Tandem.Lab.Processes;

namespace Tandem.Cli.Demo;

/// <summary>
/// One run of <c>tandem demo</c>: its directory, its two nodes (a <see cref="LabCluster"/> of this
/// program's own daemons), its timeline.
/// </summary>
internal sealed class DemoRun
{
    private const int ExitInterrupted = 130;
    private const long VolumeSize = 32L << 20;
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(15);

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly TimeSpan _deadtime;
    private readonly TimeSpan _keepalive;
    private readonly TimeSpan _warntime;
    private readonly bool _keep;
    private readonly Lock _printLock = new();
    private readonly List<(DateTimeOffset Time, string Line)> _pending = [];
    private readonly DateTimeOffset _startWall = DateTimeOffset.UtcNow;
    private string _directory = "";
    private string _acks = "";
    private LabCluster? _cluster;
    private LabNode? _alpha;
    private LabNode? _bravo;

    public DemoRun(TextWriter output, TextWriter error, TimeSpan deadtime, bool keep)
    {
        _out = output;
        _err = error;
        _deadtime = TimeSpan.FromMilliseconds(Math.Round(deadtime.TotalMilliseconds));
        _keepalive = TimeSpan.FromMilliseconds(Math.Max(1, Math.Floor(_deadtime.TotalMilliseconds / 5)));
        _warntime = TimeSpan.FromMilliseconds(Math.Floor(_deadtime.TotalMilliseconds * 3 / 5));
        _keep = keep;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var interrupted = 0;
        Action<PosixSignalContext> onSignal = context =>
        {
            // Handled here, not by the runtime: the finally below must stop the daemons first.
            context.Cancel = true;
            Interlocked.Exchange(ref interrupted, 1);
            stop.Cancel();
        };
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, onSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);
        var ok = false;
        try
        {
            await RunStepsAsync(stop.Token).ConfigureAwait(false);
            ok = true;
            return ExitCodes.Ok;
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or DemoFailedException or LabException or IOException or DaemonUnreachableException)
        {
            // Ctrl-C in a terminal reaches the daemons too (same process group): a step may fail
            // because its daemon stopped on that signal. Either way, this is an interruption.
            Print("demo", "interrupted: stopping both nodes and cleaning up");
            return ExitInterrupted;
        }
        catch (Exception e) when (e is DemoFailedException or LabException or IOException or UnauthorizedAccessException or SocketException or DaemonUnreachableException or ControlApiException or System.ComponentModel.Win32Exception)
        {
            Flush();
            await _err.WriteLineAsync($"tandem demo: FAILED: {e.Message}").ConfigureAwait(false);
            await WriteLogTailsAsync().ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        finally
        {
            Flush();
            await CleanUpAsync(ok, Volatile.Read(ref interrupted) == 1).ConfigureAwait(false);
        }
    }

    private async Task RunStepsAsync(CancellationToken cancellationToken)
    {
        // mkdtemp(3): a fresh directory, 0700, that nobody else can have prepared.
        _directory = Directory.CreateTempSubdirectory("tandem-demo-").FullName;
        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var socketPath = Path.Combine(_directory, "alpha", "run", "nbd", "r0.sock");
        if (Encoding.UTF8.GetByteCount(socketPath) > 107)
        {
            throw new DemoFailedException($"the temporary directory {_directory} is too deep for a Unix socket path (107 bytes at most); run with TMPDIR=/tmp");
        }
        _acks = Path.Combine(_directory, "acks");

        _out.WriteLine("Tandem demo: two nodes, alpha and bravo, on this machine.");
        _out.WriteLine("  Real: two daemon processes of this program, UDP heartbeats on loopback signed with HMAC-SHA256,");
        _out.WriteLine("  a volume replicated between them over TCP (protocol C), a service that writes numbered records");
        _out.WriteLine("  to it through NBD and notes each acknowledged one, fencing by a script that pulls a node's plug.");
        _out.WriteLine(Invariant($"  Timing: keepalive {Ms(_keepalive)} ms, warntime {Ms(_warntime)} ms, deadtime {Ms(_deadtime)} ms."));
        _out.WriteLine($"  Directory: {_directory} ({(_keep ? "kept at the end: --keep" : "removed at the end")})");
        _out.WriteLine();

        Heading("1. Configuration and storage");
        _cluster = new LabCluster(_directory, TandemCommand.CurrentProcess(typeof(Program).Assembly.Location));
        var subnet = LoopbackSubnet.Pick(2, tcpPorts: 1, udpPorts: 3);
        var config = WriteConfiguration(subnet);
        var (a, b, udp, tcp) = (subnet.Addresses[0], subnet.Addresses[1], subnet.UdpPorts, subnet.TcpPorts[0]);
        Print("demo", Invariant($"configuration written: {config} (0600); heartbeat links lo-addr {a} <-> {b} :{udp[0]}, lo-port {a}:{udp[1]} <-> :{udp[2]}; replication {a}:{tcp} <-> {b}:{tcp}"));
        _alpha = AddNode("alpha", config);
        _bravo = AddNode("bravo", config);
        foreach (var node in new[] { _alpha, _bravo })
        {
            await using (var backing = File.Create(Backing(node.Name)))
            {
                backing.SetLength(VolumeSize);
            }
            var created = await RunSelfAsync(["volume", "create-md", "r0", "--node", node.Name, "--config", config, "--run-dir", node.RunDirectory], cancellationToken).ConfigureAwait(false);
            Print("demo", $"tandem volume create-md r0 --node {node.Name}: {created.Split('\n')[0].Trim()}");
        }

        Heading("2. Start: two daemons, each its own process");
        Start(_alpha);
        Start(_bravo);
        await Task.WhenAll(WaitReadyAsync(_alpha, cancellationToken), WaitReadyAsync(_bravo, cancellationToken)).ConfigureAwait(false);
        foreach (var (node, peer) in new[] { (_alpha, "bravo"), (_bravo, "alpha") })
        {
            await WaitAsync(node, e => e.Kind is "node.up" or "node.active" && e.Subject == peer, 0, StartDeadline,
                $"{node.Name} to report {peer} up", cancellationToken).ConfigureAwait(false);
        }

        Heading("3. The replicated volume: two new, empty backings need no initial sync");
        await WaitAsync(_alpha, e => e.Kind == "volume.connection" && New(e) == "Connected", 0, StartDeadline,
            "alpha's volume r0 to connect to bravo's", cancellationToken).ConfigureAwait(false);
        using (var client = new ControlClient(_alpha.RunDirectory))
        {
            await client.RunVolumeActionAsync("r0", "new-current-uuid", new VolumeActionRequest(ClearBitmap: true), cancellationToken).ConfigureAwait(false);
        }
        Print("demo", "tandem volume new-current-uuid --clear-bitmap r0 (on alpha)");
        foreach (var node in new[] { _alpha, _bravo })
        {
            await WaitAsync(node, e => e.Kind == "volume.disk" && New(e) == "UpToDate", 0, StartDeadline,
                $"{node.Name}'s copy of r0 to be UpToDate", cancellationToken).ConfigureAwait(false);
        }

        Heading("4. The service: group 'records' on its preferred node, alpha");
        await WaitAsync(_alpha, e => e.Kind == "group.started", 0, StartDeadline,
            "alpha to start the group (volume primary, then the writer)", cancellationToken).ConfigureAwait(false);
        await WaitForAcksAsync(50, "the writer on alpha to have 50 records acknowledged", cancellationToken).ConfigureAwait(false);
        Print("demo", Invariant($"writer on alpha: {Acknowledged().Count} records acknowledged so far (4 KiB each, FUA, protocol C: on both disks when acknowledged)"));

        Heading("5. Power cut: alpha's daemon and its service are killed at once (SIGKILL, no goodbye)");
        var from = _bravo.Events.Last;
        var killWall = DateTimeOffset.UtcNow;
        // The daemon first, by its pid (this needs nothing but the kill syscall); then the fence
        // script takes whatever else runs on alpha's directory (its service).
        var died = _alpha.PowerCutAsync(StopDeadline, cancellationToken);
        await PullPlugAsync("alpha", cancellationToken).ConfigureAwait(false);
        var beforeCut = Acknowledged();
        var lastBeforeCut = beforeCut.Count == 0 ? -1 : beforeCut.Max();
        Print("demo", Invariant($"alpha's plug pulled (pid {_alpha.Pid} and its writer); last record acknowledged to the writer: #{lastBeforeCut}"));
        await died.ConfigureAwait(false);
        var dead = await WaitAsync(_bravo, e => e.Kind == "node.dead" && e.Subject == "alpha", from, _deadtime + StartDeadline,
            "bravo to declare alpha dead", cancellationToken).ConfigureAwait(false);
        var fenced = await WaitAsync(_bravo, e => e.Kind == "fencing.succeeded" && e.Subject == "alpha", from, StartDeadline,
            "bravo to fence alpha", cancellationToken).ConfigureAwait(false);
        var promoted = await WaitAsync(_bravo, e => e.Kind == "volume.role" && New(e) == "Primary", from, StartDeadline,
            "bravo to promote r0", cancellationToken).ConfigureAwait(false);
        var takenOver = await WaitAsync(_bravo, e => e.Kind == "group.started", from, StartDeadline,
            "bravo to start the group", cancellationToken).ConfigureAwait(false);
        var resumed = await WaitForAcksAsync(lastBeforeCut + 1, "the writer on bravo to write its first record", cancellationToken).ConfigureAwait(false);
        var detection = dead.Event.Time - killWall;
        var fencing = fenced.Event.Time - killWall;
        var promotion = promoted.Event.Time - killWall;
        var service = takenOver.Event.Time - killWall;
        var firstWrite = resumed - killWall;
        Note(Invariant($"           failover: dead {Seconds(detection)} s, fenced {Seconds(fencing)} s, r0 primary {Seconds(promotion)} s, group started {Seconds(service)} s, first new record acknowledged {Seconds(firstWrite)} s after the power cut"));

        Heading("6. Every acknowledged record is on the survivor");
        await WaitForAcksAsync(lastBeforeCut + 25, "25 more records from bravo's writer", cancellationToken).ConfigureAwait(false);
        var onBravo = await CheckRecordsAsync(_bravo, cancellationToken).ConfigureAwait(false);
        var byAlpha = beforeCut.Count;
        Print("demo", Invariant($"read back through bravo's export: {onBravo.Acknowledged} acknowledged records, all present ({byAlpha} of them acknowledged by alpha before the power cut)"));

        Heading("7. alpha returns: resync of what changed, then failback (auto_failback on)");
        from = _bravo.Events.Last;
        var restartWall = DateTimeOffset.UtcNow;
        Start(_alpha);
        await WaitReadyAsync(_alpha, cancellationToken).ConfigureAwait(false);
        var synced = await WaitAsync(_alpha, e => e.Kind == "volume.disk" && New(e) == "UpToDate", 0, StartDeadline,
            "alpha's copy of r0 to be UpToDate again (bitmap resync from bravo)", cancellationToken).ConfigureAwait(false);
        var released = await WaitAsync(_bravo, e => e.Kind == "group.stopped", from, StartDeadline,
            "bravo to stop the group for the failback", cancellationToken).ConfigureAwait(false);
        var back = await WaitAsync(_alpha, e => e.Kind == "group.started", 0, StartDeadline,
            "alpha to start the group again", cancellationToken).ConfigureAwait(false);
        var lastBeforeFailback = Acknowledged().Max();
        await WaitForAcksAsync(lastBeforeFailback + 25, "25 records from alpha's writer after the failback", cancellationToken).ConfigureAwait(false);
        var onAlpha = await CheckRecordsAsync(_alpha, cancellationToken).ConfigureAwait(false);
        Note(Invariant($"           return: UpToDate {Seconds(synced.Event.Time - restartWall)} s after the restart began; bravo stopped the group at {Seconds(released.Event.Time - restartWall)} s, alpha started it at {Seconds(back.Event.Time - restartWall)} s"));
        Print("demo", Invariant($"read back through alpha's export: {onAlpha.Acknowledged} acknowledged records, all present"));

        Heading("8. Stop: SIGTERM to both (the group is stopped, the volume demoted, then the daemon exits)");
        foreach (var node in new[] { _alpha, _bravo })
        {
            var code = await node.StopAsync(StopDeadline, cancellationToken).ConfigureAwait(false);
            Print("demo", Invariant($"{node.Name} (pid {node.Pid}) exited with code {code}"));
            if (code != 0)
            {
                throw new DemoFailedException($"{node.Name} exited with code {code} after SIGTERM instead of 0");
            }
        }

        Flush();
        _out.WriteLine();
        _out.WriteLine(Invariant($"Summary: alpha lost power with record #{lastBeforeCut} acknowledged. bravo declared it dead after {Seconds(detection)} s (deadtime {Ms(_deadtime)} ms), fenced it at {Seconds(fencing)} s, promoted r0 at {Seconds(promotion)} s and had the service running at {Seconds(service)} s; its first new record was acknowledged {Seconds(firstWrite)} s after the power cut."));
        _out.WriteLine(Invariant($"         {onAlpha.Acknowledged} acknowledged records checked after failover and failback: none missing. alpha resynced and took the service back {Seconds(back.Event.Time - restartWall)} s after its restart began; both nodes stopped cleanly."));
    }

    private IReadOnlyList<long> Acknowledged() => RecordWriter.ReadAcknowledged(_acks);

    /// <summary>Waits until record <paramref name="number"/> (or a later one) is acknowledged; returns when it was seen.</summary>
    private async Task<DateTimeOffset> WaitForAcksAsync(long number, string what, CancellationToken cancellationToken)
    {
        // The writer is another process; its acknowledgement file is the only shared state. Poll it.
        var deadline = Stopwatch.GetTimestamp() + (long)(StartDeadline.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var acks = Acknowledged();
            if (acks.Count > 0 && acks.Max() >= number)
            {
                return DateTimeOffset.UtcNow;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
        }
        throw new DemoFailedException($"waited {StartDeadline.TotalSeconds:0} s for {what}, in vain (see {Path.Combine(_directory, "writer.log")})");
    }

    private async Task<RecordChecker.Result> CheckRecordsAsync(LabNode node, CancellationToken cancellationToken)
    {
        var result = await RecordChecker.CheckAsync(Path.Combine(node.RunDirectory, "nbd", "r0.sock"), "r0", _acks, cancellationToken).ConfigureAwait(false);
        if (!result.AllPresent)
        {
            var first = string.Join("; ", result.Problems.Take(5).Select(p => Invariant($"#{p.Number} {p.Problem}")));
            throw new DemoFailedException(Invariant($"{result.Problems.Count} of {result.Acknowledged} acknowledged records are not intact on {node.Name}: {first}"));
        }
        return result;
    }

    /// <summary>What the fence script does: SIGKILL to every process of the node (its daemon and its service).</summary>
    private async Task PullPlugAsync(string node, CancellationToken cancellationToken) =>
        await RunAsync(["/bin/sh", Path.Combine(_directory, "fence"), "off", node], cancellationToken).ConfigureAwait(false);

    private async Task<string> RunSelfAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var tandem = _cluster!.Tandem;
        return await RunAsync(tandem.CommandLine(arguments), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> RunAsync(IReadOnlyList<string> commandLine, CancellationToken cancellationToken)
    {
        await using var process = await LabProcess.RunAsync(commandLine, StartDeadline, cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new DemoFailedException(Invariant($"{string.Join(' ', commandLine)} exited {process.ExitCode}: {process.Stderr.Trim()} {process.Stdout.Trim()}"));
        }
        return process.Stdout + "\n";
    }

    private LabNode AddNode(string name, string config) => _cluster!.Add(new LabNodeOptions(name, Path.Combine(_directory, name))
    {
        ConfigArguments = ["--config", config],
        OutputLog = Path.Combine(_directory, name, "daemon.log"),
        OnEvent = PrintEvent,
    });

    private string Backing(string node) => Path.Combine(_directory, node, "r0.img");

    private void Start(LabNode node)
    {
        node.Start();
        Print("demo", Invariant($"started {node.Name}: tandem daemon --node {node.Name} (pid {node.Pid})"));
    }

    private async Task WaitReadyAsync(LabNode node, CancellationToken cancellationToken)
    {
        await node.WaitReadyAsync(StartDeadline, cancellationToken).ConfigureAwait(false);
        Print(node.Name, "ready (READY=1 on its notify socket: control socket answering, every subsystem started)");
    }

    /// <summary>The first event of <paramref name="node"/>'s current daemon after <paramref name="after"/> that matches.</summary>
    private static Task<ArrivedEvent> WaitAsync(LabNode node, Func<ClusterEvent, bool> match, long after, TimeSpan timeout, string what, CancellationToken cancellationToken) =>
        node.Events.WaitAsync(match, what, timeout, after, cancellationToken);

    /// <summary>
    /// The configuration: the two nodes on addresses of a loopback subnet of their own, two
    /// heartbeat links (an address each; one address, a port each), r0 between them, the group and
    /// the fence device; written by the configuration writer of <c>tandem config convert</c>.
    /// </summary>
    private string WriteConfiguration(LoopbackSubnet subnet)
    {
        var (a, b, udp, tcp) = (subnet.Addresses[0], subnet.Addresses[1], subnet.UdpPorts, subnet.TcpPorts[0]);
        var writer = string.Join(' ', _cluster!.Tandem.CommandLine([]).Select(Quote))
            + $" demo-writer --socket {Quote(_directory)}/\"$TANDEM_NODE\"/run/nbd/r0.sock --acks {Quote(_acks)}";
        // The fence device: pulling a node's plug is killing every process of it, the daemon and
        // the service it started; each has the node's own directory on its command line.
        var fence = Path.Combine(_directory, "fence");
        File.WriteAllText(fence, $"""
            #!/bin/sh
            # Fence script of `tandem demo`: fence ACTION NODE. Every process of a demo node has
            # {_directory}/NODE/ on its command line; killing them all is pulling its plug.
            pkill -KILL -f -- "{_directory}/$2/" ; echo "$2 is off"
            exit 0

            """);
        File.SetUnixFileMode(fence, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var spec = new ClusterSpec
        {
            Name = "demo",
            AutoFailback = FailbackMode.On,
            // initdead is long so that the slower of the two processes to start is not declared dead
            // before it has sent its first heartbeat; deadtime is what the demo measures.
            Timing = LabConfig.Timing(_keepalive, _warntime, _deadtime, TimeSpan.FromMilliseconds(Math.Max(30_000, Ms(_deadtime)))),
            Nodes = [new NodeSpec("alpha"), new NodeSpec("bravo")],
            Links =
            [
                LabConfig.AddressPerNode("lo-addr", udp[0], [("alpha", a), ("bravo", b)], "lo"),
                LabConfig.PortPerNode("lo-port", a, [("alpha", udp[1]), ("bravo", udp[2])], "lo"),
            ],
            Auth = LabConfig.Sha256Key(),
            Replicated =
            [
                new ReplicatedResourceSpec("r0")
                {
                    Protocol = ReplicationProtocol.C,
                    // Reconnect fast after a restart, and resync at loopback speed.
                    Net = new NetOptions { ConnectInterval = TimeSpan.FromSeconds(1), PingInterval = TimeSpan.FromSeconds(1) },
                    Disk = new DiskOptions { ResyncRate = ResyncRate },
                    Hosts = [Host("alpha", a), Host("bravo", b)],
                },
            ],
            // The service: r0 made primary (no block device: the writer speaks NBD itself), then the
            // writer. Started left to right, stopped right to left.
            Groups =
            [
                new GroupSpec("records", "alpha",
                [
                    new ResourceSpec("r0", "drbddisk")
                    {
                        Class = AgentClass.BuiltIn,
                        Arguments = ["r0"],
                        Parameters = new Dictionary<string, string> { ["promote_wait"] = "30s", ["attach"] = "no" },
                    },
                    new ResourceSpec("writer", "process")
                    {
                        Class = AgentClass.BuiltIn,
                        Parameters = new Dictionary<string, string> { ["command"] = writer, ["log"] = Path.Combine(_directory, "writer.log") },
                        MonitorInterval = TimeSpan.FromSeconds(1),
                    },
                ]),
            ],
            Fencing = new FencingSpec
            {
                Devices = [new FenceDeviceSpec("plug", FenceKind.Script, fence) { Parameters = new Dictionary<string, string> { ["timeout"] = "10" } }],
            },
        };
        return LabConfig.Write(spec, Path.Combine(_directory, "tandem.toml"), "Written by `tandem demo`: two nodes on this machine, on loopback only.");

        ReplicaHostSpec Host(string node, string address) =>
            new(node, Invariant($"{address}:{tcp}"), [new VolumeSpec(0, Path.Combine(_directory, node, "drbd0"), Backing(node), "internal")]);
    }

    /// <summary>200 MiB/s: a resync at loopback speed.</summary>
    private const long ResyncRate = 200L << 20;

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string? Old(ClusterEvent ev) => ev.Data is { } d && d.TryGetValue("old", out var v) ? v : null;

    private static string? New(ClusterEvent ev) => ev.Data is { } d && d.TryGetValue("new", out var v) ? v : null;

    private async Task CleanUpAsync(bool ok, bool interrupted)
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
        if (_directory.Length == 0 || !Directory.Exists(_directory))
        {
            return;
        }
        // A service a daemon started runs in a session of its own: if its daemon could not stop
        // it (killed at the deadline, or interrupted), pull its plug too. Nothing of the demo may
        // outlive it.
        try
        {
            using var sweep = Process.Start(new ProcessStartInfo("pkill", ["-KILL", "-f", "--", _directory + "/"]) { UseShellExecute = false });
            if (sweep is not null)
            {
                await sweep.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pkill: the daemons' own stop is all there is.
        }
        if (_keep)
        {
            _out.WriteLine();
            _out.WriteLine($"Kept {_directory}:");
            _out.WriteLine($"  {_directory}/tandem.toml                the configuration (0600, holds the key)");
            _out.WriteLine($"  {_directory}/NODE/state/events.jsonl    every event of a node, one JSON document per line");
            _out.WriteLine($"  {_directory}/NODE/daemon.log            what the daemon printed");
            _out.WriteLine("  To run a node again and inspect it (each in its own terminal):");
            _out.WriteLine($"    tandem daemon --config {_directory}/tandem.toml --node alpha --state-dir {_directory}/alpha/state --run-dir {_directory}/alpha/run");
            _out.WriteLine($"    tandem status --run-dir {_directory}/alpha/run");
            _out.WriteLine($"    tandem events --follow --run-dir {_directory}/alpha/run");
            _out.WriteLine($"  Remove it with: rm -rf {_directory}");
            return;
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
            if (interrupted)
            {
                _err.WriteLine($"tandem demo: interrupted; cleaned up: no daemon left running, {_directory} removed");
            }
            else if (!ok)
            {
                _err.WriteLine($"tandem demo: cleaned up: no daemon left running, {_directory} removed (run with --keep to keep it for inspection)");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _err.WriteLine($"tandem demo: could not remove {_directory}: {e.Message}");
        }
    }

    private async Task WriteLogTailsAsync()
    {
        foreach (var node in new[] { _alpha, _bravo })
        {
            if (node is null)
            {
                continue;
            }
            var tail = node.OutputTail(15);
            if (tail.Count > 0)
            {
                await _err.WriteLineAsync($"--- last lines of {node.Name}'s daemon output ---").ConfigureAwait(false);
                foreach (var line in tail)
                {
                    await _err.WriteLineAsync("  " + line).ConfigureAwait(false);
                }
            }
        }
    }

    private void Heading(string text)
    {
        lock (_printLock)
        {
            FlushLocked();
            _out.WriteLine();
            _out.WriteLine(text);
            _out.Flush();
        }
    }

    /// <summary>Writes a line of its own (not on the timeline), after the timeline lines so far.</summary>
    private void Note(string text)
    {
        lock (_printLock)
        {
            FlushLocked();
            _out.WriteLine(text);
            _out.Flush();
        }
    }

    /// <summary>Writes the timeline lines collected so far, in time order.</summary>
    private void Flush()
    {
        lock (_printLock)
        {
            FlushLocked();
        }
    }

    /// <summary>
    /// One timeline line, elapsed on the wall clock the daemons stamp their events with. Lines are
    /// held until the step that produced them is over, then written in time order: each node's
    /// stream arrives on its own, and a line from one must not come before an earlier one from the other.
    /// </summary>
    internal void Print(string who, string what, DateTimeOffset? at = null)
    {
        var time = at ?? DateTimeOffset.UtcNow;
        var elapsed = time - _startWall;
        lock (_printLock)
        {
            _pending.Add((time, Invariant($"+{elapsed.TotalSeconds,7:0.000}s  {who}: {what}")));
        }
    }

    private void FlushLocked()
    {
        foreach (var (_, line) in _pending.OrderBy(p => p.Time))
        {
            _out.WriteLine(line);
        }
        _pending.Clear();
        _out.Flush();
    }

    internal void PrintEvent(ClusterEvent ev)
    {
        if (Describe(ev) is { } text)
        {
            Print(ev.Node, text, ev.Time);
        }
    }

    private static string? Describe(ClusterEvent ev)
    {
        var (peer, link) = ev.Subject.Split('/') is [var p, var l] ? (p, l) : (ev.Subject, "");
        // A node's own membership start is not news in a two-node timeline.
        if (peer == ev.Node && ev.Kind is "node.up" or "node.active")
        {
            return null;
        }
        return ev.Kind switch
        {
            "daemon.started" => "daemon started",
            "daemon.stopping" => "daemon stopping",
            "daemon.stopped" => "daemon stopped",
            "link.up" => $"hears {peer} on link {link} ({ev.Reason})",
            "link.dead" => $"link {link} to {peer} dead ({ev.Reason})",
            "node.up" => $"{peer} up ({ev.Reason})",
            "node.active" => $"{peer} active ({ev.Reason})",
            "node.late" => $"{peer} late ({ev.Reason})",
            "node.dead" => $"{peer} declared DEAD ({ev.Reason})",
            "node.left" => $"{peer} left cleanly ({ev.Reason})",
            "node.restarted" => $"{peer} restarted ({ev.Reason})",
            "volume.connection" or "volume.disk" or "volume.role" => $"{ev.Subject} {ev.Kind[7..]} {Old(ev)} -> {New(ev)} ({ev.Reason})",
            "volume.sync.started" or "volume.sync.finished" or "volume.split-brain" => $"{ev.Subject} {ev.Kind[7..]}: {ev.Reason}",
            "fencing.started" or "fencing.succeeded" or "fencing.failed" => $"fencing {ev.Subject}: {ev.Kind[8..]} ({ev.Reason})",
            "group.starting" or "group.started" or "group.stopping" or "group.stopped" or "group.moving" or "group.failback" or "group.failback-deferred" =>
                $"group {ev.Subject} {ev.Kind[6..]} ({ev.Reason})",
            "resource.started" or "resource.stopped" => $"resource {ev.Subject} {ev.Kind[9..]}",
            _ when ev.Kind.StartsWith("node.", StringComparison.Ordinal)
                || ev.Kind.StartsWith("link.", StringComparison.Ordinal)
                || (ev.Kind.StartsWith("membership.", StringComparison.Ordinal) && ev.Kind != "membership.stall")
                || ev.Kind.EndsWith(".failed", StringComparison.Ordinal) => $"{ev.Kind} {ev.Subject}: {ev.Reason}",
            _ => null,
        };
    }

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
