using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Tandem.Cli.Commands;

namespace Tandem.Cli;

/// <summary>Entry point of the <c>tandem</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The exit code: 0 ok, 1 invalid configuration or failure, 2 usage error, 3 daemon unreachable.</returns>
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs the command line with the given output streams (for tests).</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = CreateRootCommand();
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // Each command handles signals itself: the daemon's host stops gracefully on SIGTERM and
            // must exit 0, which System.CommandLine's own handler (exit 143 after a timeout) would not.
            ProcessTerminationTimeout = null,
        };
        if (parse.Action is ParseErrorAction)
        {
            // Usage errors: the reasons and where to read more, not the whole manual.
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync($"tandem: {parseError.Message}").ConfigureAwait(false);
            }
            var names = new List<string>();
            for (var result = parse.CommandResult; result.Parent is CommandResult parent; result = parent)
            {
                names.Insert(0, result.Command.Name);
            }
            var path = string.Join(' ', names);
            if (Suggest(parse) is { } suggestion)
            {
                await error.WriteLineAsync($"Did you mean 'tandem {(path.Length == 0 ? "" : path + " ")}{suggestion}'?").ConfigureAwait(false);
            }
            await error.WriteLineAsync($"Run 'tandem {(path.Length == 0 ? "" : path + " ")}--help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(configuration).ConfigureAwait(false);
    }

    /// <summary>
    /// The subcommand nearest to the first word that matched nothing (<c>tandem stauts</c>), when the
    /// command reached has subcommands and one of them is near enough to be what was meant.
    /// </summary>
    private static string? Suggest(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var unknown = parse.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith('-'));
        if (unknown is null || command.Subcommands.Count == 0)
        {
            return null;
        }
        return CommandSuggestions.Nearest(unknown, command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)));
    }

    /// <summary>Builds the command tree.</summary>
    /// <returns>The root command.</returns>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand(
            "tandem: a high-availability cluster in one program (replicated block devices, heartbeat membership, fencing, resource failover). It reads the classic Heartbeat (ha.cf, authkeys, haresources) and DRBD (drbd.conf) files unchanged, or a native tandem.toml.");
        var help = HelpSections.Install(root);
        var common = new CommonOptions();
        root.Add(DaemonCommand.Create(common, help));
        root.Add(StatusCommand.Create(common, help));
        root.Add(EventsCommand.Create(common, help));
        root.Add(ConfigCommand.Create(common, help));
        root.Add(VolumeCommand.Create(common, help));
        root.Add(PlacementCommands.CreateStandby(common, help));
        root.Add(PlacementCommands.CreateTakeover(common, help));
        root.Add(PlacementCommands.CreateFailback(common, help));
        root.Add(PlacementCommands.CreateFence(common, help));
        root.Add(DemoCommand.Create(help));
        root.Add(DemoWriterCommand.Create(help));
        help.Add(root, ExitCodes.HelpText + """

            Examples:
              tandem config check --ha-dir /etc/ha.d --drbd-conf /etc/drbd.conf
              tandem daemon
              tandem status
              tandem events --follow
              tandem volume attach r0
                  Make replicated resource r0 a block device on this machine (prints the device).
              tandem demo
                  Two nodes on this machine, a power cut, its detection: no configuration, no root.

            Documentation: docs/README.md in the source tree (docs/cli.md has every command).
            """);
        return root;
    }
}
