using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Tandem.Cli.Output;
using Tandem.Core.Events;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem events</c>: the node's event stream.</summary>
internal static class EventsCommand
{
    public static Command Create(CommonOptions common, HelpSections help)
    {
        var follow = new Option<bool>("--follow", "-f")
        {
            Description = "Keep printing new events as they happen, until Ctrl-C or the daemon stops [default: print the kept events and exit]",
        };
        var since = new Option<long>("--since")
        {
            Description = "Print only events after this sequence number (the last one you have)",
            HelpName = "N",
            DefaultValueFactory = _ => 0,
        };
        since.Validators.Add(result =>
        {
            // Read the token, not the value: a token that is not a number already has its own error,
            // and asking for the converted value would throw.
            if (result.Tokens.Count == 1 && long.TryParse(result.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var value) && value < 0)
            {
                result.AddError("--since must be 0 or a positive sequence number");
            }
        });
        var command = new Command("events", "Print the node's events, and with --follow keep printing them as they happen.");
        command.Add(follow);
        command.Add(common.Json);
        command.Add(since);
        command.Add(common.RunDir);
        help.Add(command, """
            Details:
              One line per event: time (UTC), #sequence, node, kind, subject: reason. Sequence numbers
              start at 1 each time the daemon starts and have no gaps. The daemon keeps the last 10,000
              events in memory; all of them are in STATE_DIR/events.jsonl. A follow ends with exit 0 on
              Ctrl-C, or when the daemon stops.

            """ + ExitCodes.HelpText + """

            Output:
              2026-11-25T19:20:01.123Z #2 ovz-node1 daemon.started daemon: node ovz-node1 is up: ...
              With --json, one JSON document per line: {"sequence":2,"time":"...","node":"...","kind":"...",
              "subject":"...","reason":"...","data":{...}}.

            Examples:
              tandem events
              tandem events --follow
              tandem events --since 40 --json
              tandem events -f --run-dir /tmp/n1/run | grep link.
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var json = parse.GetValue(common.Json);
            using var client = new ControlClient(parse.GetValue(common.RunDir)!);
            try
            {
                if (!parse.GetValue(follow))
                {
                    foreach (var ev in await client.GetEventsAsync(parse.GetValue(since), cancellationToken).ConfigureAwait(false))
                    {
                        output.WriteLine(Line(ev, json));
                    }
                    return ExitCodes.Ok;
                }

                // Ctrl-C (or SIGTERM) is how a follow normally ends: stop reading, exit 0.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel(stop));
                using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel(stop));
                try
                {
                    await foreach (var ev in client.FollowEventsAsync(parse.GetValue(since), stop.Token).ConfigureAwait(false))
                    {
                        output.WriteLine(Line(ev, json));
                        output.Flush();
                    }
                    error.WriteLine("tandem events: the daemon closed the stream (it is stopping)");
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                return ExitCodes.Ok;
            }
            catch (DaemonUnreachableException e)
            {
                error.WriteLine($"tandem events: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (IOException)
            {
                // Our reader went away (`tandem events -f | head`): nothing left to do.
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is ControlApiException or JsonException)
            {
                error.WriteLine($"tandem events: the daemon answered with an error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static string Line(ClusterEvent ev, bool json) => json ? EventFormatter.FormatJson(ev) : EventFormatter.Format(ev);

    private static Action<PosixSignalContext> Cancel(CancellationTokenSource stop) => context =>
    {
        context.Cancel = true;
        stop.Cancel();
    };
}
