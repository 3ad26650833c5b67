using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Cli.Output;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem status</c>: what a running daemon reports about its node.</summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static Command Create(CommonOptions common, HelpSections help)
    {
        var command = new Command("status", "Show the state of the node whose daemon runs on RUN_DIR.");
        command.Add(common.Json);
        command.Add(common.RunDir);
        help.Add(command, """
            Details:
              Prints the node, the cluster, where its configuration came from, its uptime, then one
              heading per section: links, peers, volumes, groups (empty until the subsystems that fill
              them run), and whatever other sections the running subsystems add. With --json, prints the
              daemon's document as it is (GET /v1/status), indented.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem status
              tandem status --run-dir /tmp/n1/run
              tandem status --json | jq .peers
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            using var client = new ControlClient(parse.GetValue(common.RunDir)!);
            try
            {
                var json = await client.GetStatusJsonAsync(cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(common.Json))
                {
                    output.WriteLine(JsonNode.Parse(json)!.ToJsonString(s_indented));
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
}
