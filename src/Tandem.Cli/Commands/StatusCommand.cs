using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Tandem.Cli.Output;
using Tandem.Config.Native;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem status</c>: what a running daemon reports about its node.</summary>
internal static class StatusCommand
{
    public static Command Create(CommonOptions common, HelpSections help)
    {
        var watch = new Option<bool>("--watch", "-w")
        {
            Description = "Keep redrawing the status: at every event the daemon publishes and at least every --interval, until Ctrl-C [default: print once]",
        };
        var interval = new Option<string>("--interval")
        {
            Description = "With --watch, the longest time between two redraws, 100ms to 1h",
            HelpName = "DURATION",
            DefaultValueFactory = _ => "2s",
        };
        interval.Validators.Add(result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
            if (text is not null && ParseInterval(text) is null)
            {
                result.AddError($"--interval must be a duration from 100ms to 1h, such as 500ms or 5s (got '{text}')");
            }
        });
        var frames = new Option<int?>("--frames")
        {
            Description = "With --watch, stop after this many redraws (for scripts) [default: until Ctrl-C]",
            HelpName = "N",
        };
        var command = new Command("status", "Show the state of the node whose daemon runs on RUN_DIR.");
        command.Add(common.Json);
        command.Add(common.RunDir);
        command.Add(watch);
        command.Add(interval);
        command.Add(frames);
        help.Add(command, """
            Details:
              Prints the node, the cluster, where its configuration came from, its uptime, then one
              heading per section: links, peers, volumes, groups (empty until the subsystems that fill
              them run), and whatever other sections the running subsystems add. With --json, prints the
              daemon's document as it is (GET /v1/status), indented.

              With --watch it works like crm_mon: the screen is redrawn whenever the daemon publishes an
              event (a burst of events draws once) and at least every --interval, with the time of the
              last update on top. When the daemon stops or is killed, the watch says so and waits for
              it to come back instead of exiting. Ctrl-C ends it with exit status 0. When the output is
              not a terminal, frames are appended one after another instead of clearing the screen;
              with --json each frame is the daemon's document on one line (JSON Lines).

            """ + ExitCodes.HelpText + """

            Examples:
              tandem status
              tandem status --run-dir /tmp/n1/run
              tandem status --json | jq .peers
              tandem status --watch
              tandem status --watch --json --interval 1s | jq -c .sections.peers
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(watch))
            {
                return await WatchAsync(parse.GetValue(common.RunDir)!, output, parse.GetValue(common.Json),
                    ParseInterval(parse.GetValue(interval)!)!.Value, parse.GetValue(frames), cancellationToken).ConfigureAwait(false);
            }
            using var client = new ControlClient(parse.GetValue(common.RunDir)!);
            try
            {
                var json = await client.GetStatusJsonAsync(cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(common.Json))
                {
                    output.WriteLine(JsonOutput.Indented(json));
                }
                else
                {
                    output.Write(StatusFormatter.Format(StatusDocument.Parse(json)));
                }
                return ExitCodes.Ok;
            }
            catch (DaemonUnreachableException e)
            {
                error.WriteLine($"tandem status: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (Exception e) when (e is ControlApiException or JsonException)
            {
                error.WriteLine($"tandem status: the daemon answered with an error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static TimeSpan? ParseInterval(string text) =>
        NativeUnits.TryParseDuration(text, out var d) && d >= TimeSpan.FromMilliseconds(100) && d <= TimeSpan.FromHours(1) ? d : null;

    private static async Task<int> WatchAsync(string runDirectory, TextWriter output, bool json, TimeSpan interval, int? frames,
        CancellationToken cancellationToken)
    {
        // Ctrl-C and SIGTERM are the normal end of a watch: stop drawing and exit 0.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel(stop));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel(stop));
        var watcher = new StatusWatcher(runDirectory, output, TimeProvider.System)
        {
            Interval = interval,
            Json = json,
            MaxFrames = frames,
            ClearBetweenFrames = !json && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected,
        };
        await watcher.RunAsync(stop.Token).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static Action<PosixSignalContext> Cancel(CancellationTokenSource stop) => context =>
    {
        context.Cancel = true;
        stop.Cancel();
    };
}
