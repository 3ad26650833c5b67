using Microsoft.Extensions.Logging;
using System.CommandLine;
using Tandem.Config;
using Tandem.Daemon;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem daemon</c>: runs this node until SIGTERM, SIGINT or <c>POST /v1/shutdown</c>.</summary>
internal static class DaemonCommand
{
    public static Command Create(CommonOptions common, HelpSections help)
    {
        var node = new Option<string>("--node")
        {
            Description = "The node this daemon is; must be a member of the cluster (uname -n, as Heartbeat and DRBD take it)",
            HelpName = "NAME",
            DefaultValueFactory = _ => CommonOptions.MachineNodeName(),
        };
        var stateDir = new Option<string>("--state-dir")
        {
            Description = "Directory for persistent state: the event log events.jsonl, and later volume metadata; created 0700",
            HelpName = "DIR",
            DefaultValueFactory = _ => DaemonOptions.DefaultStateDirectory,
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "The least severe log messages written to stderr: Trace, Debug, Information, Warning, Error or Critical",
            HelpName = "LEVEL",
            DefaultValueFactory = _ => LogLevel.Information,
        };
        var noRealtime = new Option<bool>("--no-realtime")
        {
            Description = "Do not switch to real-time scheduling (SCHED_RR) for membership, as ha.cf's 'realtime off' [default: real-time when root]",
        };
        var command = new Command("daemon", "Run this node in the foreground until SIGTERM or SIGINT.");
        common.AddConfigInputs(command);
        command.Add(node);
        command.Add(stateDir);
        command.Add(common.RunDir);
        command.Add(logLevel);
        command.Add(noRealtime);
        help.Add(command, """
            Details:
              Loads the configuration (every finding is printed on stderr; errors stop the start), checks
              that --node is a member, claims the run directory, serves the control API on
              RUN_DIR/control.sock and reports every state change as an event. SIGTERM or SIGINT (or
              `POST /v1/shutdown`) stops it cleanly within a few seconds, removing its socket and pid
              file; the exit code is then 0. Under systemd (Type=notify) it reports readiness with
              sd_notify once the control socket answers and every subsystem has started.

            """ + ExitCodes.HelpText + """

            Files:
              RUN_DIR/tandem.pid     the daemon's pid, locked (flock) while it runs: a second daemon on the
                                     same run directory is refused; a file left by a killed daemon is not a lock
              RUN_DIR/control.sock   the control API (HTTP+JSON), mode 0600, for root and the daemon's user
              STATE_DIR/events.jsonl every event, one JSON document per line, appended

            Examples:
              tandem daemon
                  Read /etc/ha.d and /etc/drbd.conf, be the node named by uname -n.
              tandem daemon --config /etc/tandem/tandem.toml
              tandem daemon --ha-dir /tmp/seed --drbd-conf /tmp/seed/drbd.conf --node ovz-node1 \
                            --state-dir /tmp/n1/state --run-dir /tmp/n1/run
                  One of several nodes on one machine: each gets its own state and run directories.
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var nodeName = parse.GetValue(node)!;
            // What Heartbeat checks of the machine at start (interfaces, serial ports, users, ...) is an
            // error here, as it is for Heartbeat; config check, perhaps run elsewhere, only warns.
            var result = ConfigLoader.Load(common.ToConfigOptions(parse, nodeName) with { StartChecksAreErrors = true });
            foreach (var diagnostic in result.Diagnostics)
            {
                error.WriteLine(diagnostic.ToString());
            }
            if (!result.IsValid || result.Spec is null)
            {
                error.WriteLine("tandem daemon: the configuration has errors (above); the daemon does not start. `tandem config check` shows the same findings (what Heartbeat checks of this machine at start, such as a missing interface, it shows as warnings).");
                return ExitCodes.Failure;
            }
            var options = new DaemonOptions
            {
                NodeName = result.Spec.FindNode(nodeName)?.Name ?? nodeName,
                StateDirectory = parse.GetValue(stateDir)!,
                RunDirectory = parse.GetValue(common.RunDir)!,
                MinimumLogLevel = parse.GetValue(logLevel),
                Realtime = !parse.GetValue(noRealtime),
            };
            try
            {
                var daemon = TandemDaemon.Create(result.Spec, options);
                await using (daemon.ConfigureAwait(false))
                {
                    // Signals are the host's: SIGTERM and SIGINT begin a graceful stop, which returns here.
                    await daemon.RunAsync(CancellationToken.None).ConfigureAwait(false);
                }
                return ExitCodes.Ok;
            }
            catch (Tandem.Daemon.Hosting.DaemonStartException e)
            {
                error.WriteLine($"tandem daemon: {e.Message}");
                return ExitCodes.Failure;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The top of the daemon: whatever stopped the start (a socket that cannot be bound, a
                // subsystem that failed) is reported in one line, with exit code 1 for the supervisor.
                error.WriteLine($"tandem daemon: the node could not start: {e.GetBaseException().Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
