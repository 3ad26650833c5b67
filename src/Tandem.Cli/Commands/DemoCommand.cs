using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Config.Native;
using Tandem.Core.Events;
using Tandem.Core.Os;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem demo</c>: two real nodes on this machine with a replicated volume and a service, a power
/// cut, fencing, takeover, every acknowledged record checked, the return and failback, with no
/// configuration and no root. Everything it shows is the product itself: the daemons are this
/// program, the heartbeats are real UDP on loopback, signed with a fresh key.
/// </summary>
internal static class DemoCommand
{
    private const int SIGINT = 2;
    private const int SIGTERM = 15;
    private const int ExitInterrupted = 130;
    private static readonly TimeSpan MinDeadtime = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDeadtime = TimeSpan.FromSeconds(10);

    public static Command Create(HelpSections help)
    {
        var deadtime = new Option<string>("--deadtime")
        {
            Description = "How long every link of a node must be silent before it is declared dead, 100ms to 10s; keepalive is a fifth of it, warntime three fifths",
            HelpName = "DURATION",
            DefaultValueFactory = _ => "500ms",
        };
        deadtime.Validators.Add(result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
            if (text is not null && (!NativeUnits.TryParseDuration(text, out var d) || d < MinDeadtime || d > MaxDeadtime))
            {
                result.AddError($"--deadtime must be a duration from 100ms to 10s, such as 500ms or 2s (got '{text}')");
            }
        });
        var keep = new Option<bool>("--keep")
        {
            Description = "Leave the demo's directory (configuration, event logs, daemon logs) behind and say how to inspect it [default: removed]",
        };
        var command = new Command("demo", "Run two nodes on this machine with a replicated volume and a service, cut the power of the active one, and show the other take over with every acknowledged write.");
        command.Add(deadtime);
        command.Add(keep);
        help.Add(command, """
            Details:
              With one command, no configuration and no root, the demo tells the seed's story on this
              machine, with two nodes, alpha and bravo:
                1. writes a native configuration into a private temporary directory (0700): two UDP
                   heartbeat links on loopback signed with a fresh sha256 key, a replicated volume r0
                   (a 32 MiB file per node, protocol C), a group 'records' preferred on alpha (r0 made
                   primary, then a service that writes numbered 4 KiB records to r0 through NBD with
                   FUA and notes each acknowledged one), and a fence device: a script that pulls a
                   node's plug (kills every process of that node); runs `tandem volume create-md`;
                2. starts two real daemons, `tandem daemon --node alpha` and `--node bravo`;
                3. marks the new, empty pair in sync (`tandem volume new-current-uuid --clear-bitmap`);
                4. lets alpha start the group and its service write;
                5. cuts alpha's power (SIGKILL to its daemon and its service at once) and times bravo:
                   declaring alpha dead, fencing it, promoting r0, starting the group, the first new record;
                6. reads back through bravo's export every record ever acknowledged to the service;
                7. restarts alpha: it resyncs what changed and takes the group back (auto_failback on);
                   the records are checked again;
                8. stops both with SIGTERM and removes the directory.
              Every line of the timeline is +SECONDS since the start, the node that reports it (or demo for
              what the demo itself does), and what happened. Ctrl-C at any point stops both daemons, kills
              anything left of the nodes and removes the directory.

              What is real: separate processes of this program, real UDP heartbeats, HMAC-SHA256 on every
              packet, a replicated volume over TCP, NBD, the resource manager's placement and takeover
              rule, a fence device. What is simplified: both nodes share one machine, so the power switch
              is a script and the service is Tandem's own record writer.

            Exit codes:
              0    the demo ran to the end: the survivor took over with every acknowledged record, the
                   node came back and took its group back
              1    a step failed (the message says which; the daemons' last log lines follow)
              2    usage error
              130  interrupted (Ctrl-C or SIGTERM); the daemons were stopped and the directory removed

            Examples:
              tandem demo
              tandem demo --deadtime 2s
              tandem demo --keep
                  Leave the directory: tandem.toml, each node's events.jsonl and daemon.log.

            Documentation: docs/demo.md in the source tree.
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            NativeUnits.TryParseDuration(parse.GetValue(deadtime)!, out var d);
            var run = new DemoRun(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, d, parse.GetValue(keep));
            return await run.RunAsync(cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>A step of the demo did not happen; the message says which.</summary>
    private sealed class DemoFailedException(string message) : Exception(message);

    /// <summary>One run of the demo: its directory, its two nodes, its timeline.</summary>
    private sealed class DemoRun
    {
        private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
        private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(15);
        private static readonly string[] Links = ["lo-addr", "lo-port"];

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
        private DemoNode? _alpha;
        private DemoNode? _bravo;

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
            catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or DemoFailedException or IOException or DaemonUnreachableException)
            {
                // Ctrl-C in a terminal reaches the daemons too (same process group): a step may fail
                // because its daemon stopped on that signal. Either way, this is an interruption.
                Print("demo", "interrupted: stopping both nodes and cleaning up");
                return ExitInterrupted;
            }
            catch (Exception e) when (e is DemoFailedException or IOException or UnauthorizedAccessException or SocketException or DaemonUnreachableException or ControlApiException or System.ComponentModel.Win32Exception)
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
            var (config, ports) = WriteConfiguration();
            Print("demo", Invariant($"configuration written: {config} (0600); heartbeat links lo-addr 127.0.0.1 <-> 127.0.0.2 :{ports[0]}, lo-port 127.0.0.1:{ports[1]} <-> :{ports[2]}; replication 127.0.0.1:{ports[3]} <-> :{ports[4]}"));
            _alpha = new DemoNode("alpha", _directory, config, this);
            _bravo = new DemoNode("bravo", _directory, config, this);
            foreach (var node in new[] { _alpha, _bravo })
            {
                await using (var backing = File.Create(node.Backing))
                {
                    backing.SetLength(VolumeSize);
                }
                var created = await RunSelfAsync(["volume", "create-md", "r0", "--node", node.Name, "--config", config, "--run-dir", node.RunDirectory], cancellationToken).ConfigureAwait(false);
                Print("demo", $"tandem volume create-md r0 --node {node.Name}: {created.Split('\n')[0].Trim()}");
            }

            Heading("2. Start: two daemons, each its own process");
            _alpha.Start();
            _bravo.Start();
            await Task.WhenAll(_alpha.WaitReadyAsync(StartDeadline, cancellationToken), _bravo.WaitReadyAsync(StartDeadline, cancellationToken)).ConfigureAwait(false);
            foreach (var (node, peer) in new[] { (_alpha, "bravo"), (_bravo, "alpha") })
            {
                await node.Feed!.WaitAsync(e => e.Kind is "node.up" or "node.active" && e.Subject == peer, 0, StartDeadline,
                    $"{node.Name} to report {peer} up", cancellationToken).ConfigureAwait(false);
            }

            Heading("3. The replicated volume: two new, empty backings need no initial sync");
            await _alpha.Feed!.WaitAsync(e => e.Kind == "volume.connection" && New(e) == "Connected", 0, StartDeadline,
                "alpha's volume r0 to connect to bravo's", cancellationToken).ConfigureAwait(false);
            using (var client = new ControlClient(_alpha.RunDirectory))
            {
                await client.RunVolumeActionAsync("r0", "new-current-uuid", new VolumeActionRequest(ClearBitmap: true), cancellationToken).ConfigureAwait(false);
            }
            Print("demo", "tandem volume new-current-uuid --clear-bitmap r0 (on alpha)");
            foreach (var node in new[] { _alpha, _bravo })
            {
                await node.Feed!.WaitAsync(e => e.Kind == "volume.disk" && New(e) == "UpToDate", 0, StartDeadline,
                    $"{node.Name}'s copy of r0 to be UpToDate", cancellationToken).ConfigureAwait(false);
            }

            Heading("4. The service: group 'records' on its preferred node, alpha");
            await _alpha.Feed.WaitAsync(e => e.Kind == "group.started", 0, StartDeadline,
                "alpha to start the group (volume primary, then the writer)", cancellationToken).ConfigureAwait(false);
            await WaitForAcksAsync(50, "the writer on alpha to have 50 records acknowledged", cancellationToken).ConfigureAwait(false);
            Print("demo", Invariant($"writer on alpha: {Acknowledged().Count} records acknowledged so far (4 KiB each, FUA, protocol C: on both disks when acknowledged)"));

            Heading("5. Power cut: alpha's daemon and its service are killed at once (SIGKILL, no goodbye)");
            var from = _bravo.Feed!.Count;
            var killWall = DateTimeOffset.UtcNow;
            // The daemon first, by its pid (this needs nothing but the kill syscall); then the fence
            // script takes whatever else runs on alpha's directory (its service).
            _alpha.Kill();
            await PullPlugAsync("alpha", cancellationToken).ConfigureAwait(false);
            var beforeCut = Acknowledged();
            var lastBeforeCut = beforeCut.Count == 0 ? -1 : beforeCut.Max();
            Print("demo", Invariant($"alpha's plug pulled (pid {_alpha.Pid} and its writer); last record acknowledged to the writer: #{lastBeforeCut}"));
            await _alpha.WaitExitedAsync(StopDeadline).ConfigureAwait(false);
            var dead = await _bravo.Feed.WaitAsync(e => e.Kind == "node.dead" && e.Subject == "alpha", from, _deadtime + StartDeadline,
                "bravo to declare alpha dead", cancellationToken).ConfigureAwait(false);
            var fenced = await _bravo.Feed.WaitAsync(e => e.Kind == "fencing.succeeded" && e.Subject == "alpha", from, StartDeadline,
                "bravo to fence alpha", cancellationToken).ConfigureAwait(false);
            var promoted = await _bravo.Feed.WaitAsync(e => e.Kind == "volume.role" && New(e) == "Primary", from, StartDeadline,
                "bravo to promote r0", cancellationToken).ConfigureAwait(false);
            var takenOver = await _bravo.Feed.WaitAsync(e => e.Kind == "group.started", from, StartDeadline,
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
            from = _bravo.Feed.Count;
            var restartWall = DateTimeOffset.UtcNow;
            _alpha.Start();
            await _alpha.WaitReadyAsync(StartDeadline, cancellationToken).ConfigureAwait(false);
            var synced = await _alpha.Feed!.WaitAsync(e => e.Kind == "volume.disk" && New(e) == "UpToDate", 0, StartDeadline,
                "alpha's copy of r0 to be UpToDate again (bitmap resync from bravo)", cancellationToken).ConfigureAwait(false);
            var released = await _bravo.Feed.WaitAsync(e => e.Kind == "group.stopped", from, StartDeadline,
                "bravo to stop the group for the failback", cancellationToken).ConfigureAwait(false);
            var back = await _alpha.Feed.WaitAsync(e => e.Kind == "group.started", 0, StartDeadline,
                "alpha to start the group again", cancellationToken).ConfigureAwait(false);
            var lastBeforeFailback = Acknowledged().Max();
            await WaitForAcksAsync(lastBeforeFailback + 25, "25 records from alpha's writer after the failback", cancellationToken).ConfigureAwait(false);
            var onAlpha = await CheckRecordsAsync(_alpha, cancellationToken).ConfigureAwait(false);
            Note(Invariant($"           return: UpToDate {Seconds(synced.Event.Time - restartWall)} s after the restart began; bravo stopped the group at {Seconds(released.Event.Time - restartWall)} s, alpha started it at {Seconds(back.Event.Time - restartWall)} s"));
            Print("demo", Invariant($"read back through alpha's export: {onAlpha.Acknowledged} acknowledged records, all present"));

            Heading("8. Stop: SIGTERM to both (the group is stopped, the volume demoted, then the daemon exits)");
            foreach (var node in new[] { _alpha, _bravo })
            {
                var code = await node.StopAsync(StopDeadline).ConfigureAwait(false);
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

        private const long VolumeSize = 32L << 20;

        private string _acks = "";

        private IReadOnlyList<long> Acknowledged() => Demo.RecordWriter.ReadAcknowledged(_acks);

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

        private async Task<Demo.RecordChecker.Result> CheckRecordsAsync(DemoNode node, CancellationToken cancellationToken)
        {
            var result = await Demo.RecordChecker.CheckAsync(Path.Combine(node.RunDirectory, "nbd", "r0.sock"), "r0", _acks, cancellationToken).ConfigureAwait(false);
            if (!result.AllPresent)
            {
                var first = string.Join("; ", result.Problems.Take(5).Select(p => Invariant($"#{p.Number} {p.Problem}")));
                throw new DemoFailedException(Invariant($"{result.Problems.Count} of {result.Acknowledged} acknowledged records are not intact on {node.Name}: {first}"));
            }
            return result;
        }

        /// <summary>What the fence script does: SIGKILL to every process of the node (its daemon and its service).</summary>
        private async Task PullPlugAsync(string node, CancellationToken cancellationToken) =>
            await RunAsync("/bin/sh", [Path.Combine(_directory, "fence"), "off", node], cancellationToken).ConfigureAwait(false);

        private Task<string> RunSelfAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
        {
            var (file, prefix) = SelfInvocation();
            return RunAsync(file, [.. prefix, .. arguments], cancellationToken);
        }

        private static async Task<string> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
        {
            var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                psi.ArgumentList.Add(argument);
            }
            using var process = Process.Start(psi) ?? throw new DemoFailedException($"could not start {file}");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new DemoFailedException($"{file} {string.Join(' ', psi.ArgumentList)} exited {process.ExitCode}: {(await error.ConfigureAwait(false)).Trim()} {(await output.ConfigureAwait(false)).Trim()}");
            }
            return await output.ConfigureAwait(false);
        }

        private static string? Old(ClusterEvent ev) => ev.Data is { } d && d.TryGetValue("old", out var v) ? v : null;

        private static string? New(ClusterEvent ev) => ev.Data is { } d && d.TryGetValue("new", out var v) ? v : null;

        private (string Path, int[] Ports) WriteConfiguration()
        {
            var ports = ChooseFreePorts();
            var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            var path = Path.Combine(_directory, "tandem.toml");
            var (self, prefix) = SelfInvocation();
            var writer = string.Join(' ', new[] { self }.Concat(prefix).Select(Quote))
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
            var text = Invariant($$"""
                # Written by `tandem demo`: two nodes on this machine, on loopback only.
                [cluster]
                name = "demo"
                auto_failback = "on"

                # initdead is long so that the slower of the two processes to start is not declared dead
                # before it has sent its first heartbeat; deadtime is what the demo measures.
                [timing]
                keepalive = "{{Ms(_keepalive)}}ms"
                warntime = "{{Ms(_warntime)}}ms"
                deadtime = "{{Ms(_deadtime)}}ms"
                initdead = "{{Math.Max(30_000, Ms(_deadtime))}}ms"

                [[node]]
                name = "alpha"

                [[node]]
                name = "bravo"

                # One loopback address per node, the same port.
                [[link]]
                kind = "ucast"
                name = "lo-addr"
                interface = "lo"
                port = {{ports[0]}}

                [[link.endpoint]]
                address = "127.0.0.1"
                node = "alpha"

                [[link.endpoint]]
                address = "127.0.0.2"
                node = "bravo"

                # The same address, one port per node.
                [[link]]
                kind = "ucast"
                name = "lo-port"
                interface = "lo"
                port = {{ports[1]}}

                [[link.endpoint]]
                address = "127.0.0.1"
                port = {{ports[1]}}
                node = "alpha"

                [[link.endpoint]]
                address = "127.0.0.1"
                port = {{ports[2]}}
                node = "bravo"

                [auth]
                active = 1

                [[auth.key]]
                index = 1
                method = "sha256"
                secret = "{{secret}}"

                # r0: a 32 MiB file per node, replicated with protocol C; metadata at its end.
                [[replicated]]
                name = "r0"
                protocol = "C"

                # Reconnect fast after a restart, and resync at loopback speed.
                [replicated.net]
                connect_int = "1s"
                ping_int = "1s"

                [replicated.disk]
                resync_rate = "200M"

                [[replicated.host]]
                name = "alpha"
                address = "127.0.0.1:{{ports[3]}}"

                [[replicated.host.volume]]
                number = 0
                device = "{{Path.Combine(_directory, "alpha", "drbd0")}}"
                disk = "{{Path.Combine(_directory, "alpha", "r0.img")}}"
                meta_disk = "internal"

                [[replicated.host]]
                name = "bravo"
                address = "127.0.0.1:{{ports[4]}}"

                [[replicated.host.volume]]
                number = 0
                device = "{{Path.Combine(_directory, "bravo", "drbd0")}}"
                disk = "{{Path.Combine(_directory, "bravo", "r0.img")}}"
                meta_disk = "internal"

                # The service: r0 made primary (no block device: the writer speaks NBD itself), then
                # the writer. Started left to right, stopped right to left.
                [[group]]
                name = "records"
                preferred_node = "alpha"

                [[group.resource]]
                id = "r0"
                agent = "drbddisk"
                class = "builtin"
                arguments = ["r0"]
                parameters = { promote_wait = "30s", attach = "no" }

                [[group.resource]]
                id = "writer"
                agent = "process"
                class = "builtin"
                parameters = { command = {{TomlString(writer)}}, log = "{{Path.Combine(_directory, "writer.log")}}" }
                monitor_interval = "1s"

                [fencing]

                [[fencing.device]]
                name = "plug"
                kind = "script"
                command = "{{fence}}"
                parameters = { timeout = "10" }

                """);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var file = new StreamWriter(path, Encoding.UTF8, options))
            {
                file.Write(text);
            }
            return (path, ports);
        }

        private static string TomlString(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

        private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

        /// <summary>
        /// Three UDP ports that are free now: one bindable on both 127.0.0.1 and 127.0.0.2 (lo-addr),
        /// two on 127.0.0.1 (lo-port). The test sockets are held until all three are chosen, so that
        /// the kernel cannot hand out the same port twice.
        /// </summary>
        private static int[] ChooseFreePorts()
        {
            var held = new List<Socket>();
            try
            {
                int shared = 0;
                for (var attempt = 0; attempt < 20 && shared == 0; attempt++)
                {
                    var first = Bind(IPAddress.Loopback, 0);
                    held.Add(first);
                    var port = ((IPEndPoint)first.LocalEndPoint!).Port;
                    try
                    {
                        held.Add(Bind(IPAddress.Parse("127.0.0.2"), port));
                        shared = port;
                    }
                    catch (SocketException)
                    {
                        // Taken on 127.0.0.2 (or a wildcard bind): try another.
                    }
                }
                if (shared == 0)
                {
                    throw new DemoFailedException("found no UDP port free on both 127.0.0.1 and 127.0.0.2");
                }
                var second = Bind(IPAddress.Loopback, 0);
                held.Add(second);
                var third = Bind(IPAddress.Loopback, 0);
                held.Add(third);
                var replicationA = Bind(IPAddress.Loopback, 0, SocketType.Stream, ProtocolType.Tcp);
                held.Add(replicationA);
                var replicationB = Bind(IPAddress.Loopback, 0, SocketType.Stream, ProtocolType.Tcp);
                held.Add(replicationB);
                return [shared, ((IPEndPoint)second.LocalEndPoint!).Port, ((IPEndPoint)third.LocalEndPoint!).Port,
                    ((IPEndPoint)replicationA.LocalEndPoint!).Port, ((IPEndPoint)replicationB.LocalEndPoint!).Port];
            }
            finally
            {
                foreach (var socket in held)
                {
                    socket.Dispose();
                }
            }

            static Socket Bind(IPAddress address, int port, SocketType type = SocketType.Dgram, ProtocolType protocol = ProtocolType.Udp)
            {
                var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
                try
                {
                    socket.Bind(new IPEndPoint(address, port));
                    return socket;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
        }

        private async Task CleanUpAsync(bool ok, bool interrupted)
        {
            foreach (var node in new[] { _alpha, _bravo })
            {
                if (node is not null)
                {
                    await node.DisposeAsync().ConfigureAwait(false);
                }
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
                var tail = node.LogTail(15);
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

    /// <summary>One node of the demo: its daemon process (started again after a kill), its notify socket and its event feed.</summary>
    private sealed class DemoNode : IAsyncDisposable
    {
        private readonly string _config;
        private readonly DemoRun _run;
        private readonly string _notifyPath;
        private readonly Socket _notify;
        private readonly StreamWriter _log;
        private readonly Lock _logLock = new();
        private readonly List<string> _tail = [];
        private Process? _process;
        private CancellationTokenSource? _feedStop;
        private Task? _feedTask;

        public DemoNode(string name, string directory, string config, DemoRun run)
        {
            Name = name;
            _config = config;
            _run = run;
            var home = Path.Combine(directory, name);
            Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            StateDirectory = Path.Combine(home, "state");
            RunDirectory = Path.Combine(home, "run");
            Backing = Path.Combine(home, "r0.img");
            _log = new StreamWriter(Path.Combine(home, "daemon.log"), append: true, new UTF8Encoding(false)) { AutoFlush = true };
            // Readiness comes the way systemd gets it: READY=1 on a notify socket, sent once the control
            // socket answers and every subsystem has started.
            _notifyPath = Path.Combine(home, "notify");
            _notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            _notify.Bind(new UnixDomainSocketEndPoint(_notifyPath));
        }

        public string Name { get; }

        public string StateDirectory { get; }

        public string RunDirectory { get; }

        /// <summary>The backing file of the node's copy of r0.</summary>
        public string Backing { get; }

        public int Pid { get; private set; }

        /// <summary>The event feed of the current daemon process.</summary>
        public EventFeed? Feed { get; private set; }

        public void Start()
        {
            // Whatever an earlier process of this node sent is not news about the one starting now.
            var stale = new byte[4096];
            while (_notify.Available > 0)
            {
                _notify.Receive(stale);
            }
            var psi = new ProcessStartInfo
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            var (self, prefix) = SelfInvocation();
            psi.FileName = self;
            foreach (var arg in prefix)
            {
                psi.ArgumentList.Add(arg);
            }
            foreach (var arg in new[] { "daemon", "--config", _config, "--node", Name, "--state-dir", StateDirectory, "--run-dir", RunDirectory })
            {
                psi.ArgumentList.Add(arg);
            }
            psi.Environment["NOTIFY_SOCKET"] = _notifyPath;
            var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => Log(e.Data);
            process.ErrorDataReceived += (_, e) => Log(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process?.Dispose();
            _process = process;
            Pid = process.Id;
            _run.Print("demo", Invariant($"started {Name}: tandem daemon --node {Name} (pid {Pid})"));
        }

        public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            var process = _process!;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var buffer = new byte[4096];
            var exited = process.WaitForExitAsync(deadline.Token);
            try
            {
                while (true)
                {
                    var received = _notify.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).AsTask();
                    var first = await Task.WhenAny(received, exited).ConfigureAwait(false);
                    if (first == exited)
                    {
                        await exited.ConfigureAwait(false);
                        throw new DemoFailedException($"{Name}'s daemon exited with code {process.ExitCode} before it was ready");
                    }
                    var message = Encoding.UTF8.GetString(buffer, 0, await received.ConfigureAwait(false));
                    if (message.StartsWith("READY=1", StringComparison.Ordinal) || message.Contains("\nREADY=1", StringComparison.Ordinal))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DemoFailedException($"{Name}'s daemon did not report ready within {timeout.TotalSeconds:0} s");
            }
            var feed = new EventFeed();
            Feed = feed;
            _feedStop = new CancellationTokenSource();
            _feedTask = feed.PumpAsync(RunDirectory, _run.PrintEvent, _feedStop.Token);
            _run.Print(Name, "ready (READY=1 on its notify socket: control socket answering, every subsystem started)");
        }

        public void Kill()
        {
            _process!.Kill(); // SIGKILL on Linux
        }

        public async Task WaitExitedAsync(TimeSpan timeout)
        {
            try
            {
                await _process!.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new DemoFailedException($"{Name} (pid {Pid}) did not die within {timeout.TotalSeconds:0} s of SIGKILL");
            }
            await StopFeedAsync().ConfigureAwait(false);
        }

        /// <summary>SIGTERM, then the exit code; SIGKILL if it has not stopped by the deadline.</summary>
        public async Task<int> StopAsync(TimeSpan timeout)
        {
            var process = _process!;
            if (!process.HasExited)
            {
                _ = Signal(process.Id, SIGTERM);
                try
                {
                    await process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync().ConfigureAwait(false);
                    await StopFeedAsync().ConfigureAwait(false);
                    throw new DemoFailedException($"{Name} (pid {Pid}) did not stop within {timeout.TotalSeconds:0} s of SIGTERM; it was killed");
                }
            }
            await StopFeedAsync().ConfigureAwait(false);
            _run.Print("demo", Invariant($"{Name} (pid {Pid}) exited with code {process.ExitCode}"));
            return process.ExitCode;
        }

        public IReadOnlyList<string> LogTail(int lines)
        {
            lock (_logLock)
            {
                return [.. _tail.TakeLast(lines)];
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_process is { } process)
            {
                try
                {
                    if (!process.HasExited)
                    {
                        _ = Signal(process.Id, SIGTERM);
                        try
                        {
                            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                        }
                        catch (TimeoutException)
                        {
                            process.Kill(entireProcessTree: true);
                            await process.WaitForExitAsync().ConfigureAwait(false);
                        }
                    }
                }
                catch (InvalidOperationException)
                {
                    // Never started, or already reaped.
                }
                process.Dispose();
                _process = null;
            }
            await StopFeedAsync().ConfigureAwait(false);
            _notify.Dispose();
            lock (_logLock)
            {
                _log.Dispose();
            }
        }

        private async Task StopFeedAsync()
        {
            if (_feedStop is { } stop)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await _feedTask!.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                stop.Dispose();
                _feedStop = null;
                _feedTask = null;
            }
        }

        private void Log(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_logLock)
            {
                _tail.Add(line);
                if (_tail.Count > 200)
                {
                    _tail.RemoveRange(0, 100);
                }
                try
                {
                    _log.WriteLine(line);
                }
                catch (ObjectDisposedException)
                {
                    // The demo is over: the last lines of a stopping daemon have nowhere to go.
                }
            }
        }

        private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The events of one daemon process, as they arrive on its follow stream, with their arrival time.</summary>
    private sealed class EventFeed
    {
        private readonly List<(ClusterEvent Event, long Arrived)> _events = [];
        private readonly Lock _lock = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _ended;

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _events.Count;
                }
            }
        }

        public IReadOnlyList<ClusterEvent> Since(int from)
        {
            lock (_lock)
            {
                return [.. _events.Skip(from).Select(e => e.Event)];
            }
        }

        public async Task PumpAsync(string runDirectory, Action<ClusterEvent> print, CancellationToken cancellationToken)
        {
            using var client = new ControlClient(runDirectory);
            try
            {
                await foreach (var ev in client.FollowEventsAsync(0, cancellationToken).ConfigureAwait(false))
                {
                    var arrived = Stopwatch.GetTimestamp();
                    print(ev);
                    Add(ev, arrived);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is DaemonUnreachableException or ControlApiException or IOException or HttpRequestException)
            {
                // The daemon went away: waiters learn it below.
            }
            finally
            {
                lock (_lock)
                {
                    _ended = true;
                    _changed.TrySetResult();
                }
            }
        }

        /// <summary>The first event from index <paramref name="from"/> on that matches, with its arrival time.</summary>
        public async Task<(ClusterEvent Event, long Arrived)> WaitAsync(Func<ClusterEvent, bool> match, int from, TimeSpan timeout, string what, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    for (var i = from; i < _events.Count; i++)
                    {
                        if (match(_events[i].Event))
                        {
                            return _events[i];
                        }
                    }
                    if (_ended)
                    {
                        throw new DemoFailedException($"waiting for {what}: the daemon's event stream ended first");
                    }
                    changed = _changed.Task;
                }
                try
                {
                    await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new DemoFailedException($"waited {timeout.TotalSeconds:0.#} s for {what}, in vain");
                }
            }
        }

        private void Add(ClusterEvent ev, long arrived)
        {
            lock (_lock)
            {
                _events.Add((ev, arrived));
                var changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed.TrySetResult();
            }
        }
    }

    /// <summary>How to start this program again: `tandem`, or `dotnet tandem.dll` when run that way.</summary>
    private static (string File, string[] Prefix) SelfInvocation()
    {
        var self = Environment.ProcessPath ?? throw new DemoFailedException("cannot tell which program this is (no process path) to start the daemons");
        return Path.GetFileNameWithoutExtension(self) == "dotnet" ? (self, [typeof(Program).Assembly.Location]) : (self, []);
    }

    private static bool Signal(int pid, int signal) => ProcessSignals.KillProcess(pid, signal);
}
