using System.CommandLine;
using System.Text.Json;
using Tandem.Cli.Output;
using Tandem.Config;
using Tandem.Config.Native;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem config check</c> and <c>tandem config convert</c>.</summary>
internal static class ConfigCommand
{
    public static Command Create(CommonOptions common, HelpSections help)
    {
        var config = new Command("config", "Check or convert a cluster configuration, without a daemon.");
        config.Add(Check(common, help));
        config.Add(Convert(common, help));
        help.Add(config, ExitCodes.HelpText + """

            Examples:
              tandem config check --ha-dir /etc/ha.d --drbd-conf /etc/drbd.conf
              tandem config convert > /etc/tandem/tandem.toml
            """);
        return config;
    }

    private static Option<string?> NodeOption() => new("--node")
    {
        Description = "Check as this node: it must be a member [default: no node-specific checks]",
        HelpName = "NAME",
    };

    private static Command Check(CommonOptions common, HelpSections help)
    {
        var node = NodeOption();
        var command = new Command("check", "Read a configuration as the daemon would, and judge it.");
        common.AddConfigInputs(command);
        command.Add(node);
        command.Add(common.Json);
        help.Add(command, """
            Details:
              Errors, warnings and notes go to stderr, one per line:
                FILE:LINE:COLUMN: error|warning|note CODE: message (hint: how to fix it)
              A summary of the cluster goes to stdout: nodes, links with their endpoints, timing, the
              authentication method (never the secret), replicated resources with their hosts, groups
              with their resources in start order, fencing and failback.

            Exit codes:
              0  the configuration is valid (warnings and notes may have been printed)
              1  the configuration has errors
              2  usage error

            With --json, stdout holds one document and stderr stays empty:
              {"valid":true,"summary":{"cluster":...,"nodes":[...],...},"diagnostics":[{"severity":"warning",...}]}

            Examples:
              tandem config check
                  Check /etc/ha.d (ha.cf, authkeys, haresources) and /etc/drbd.conf.
              cp -r examples/classic /tmp/seed && chmod 600 /tmp/seed/authkeys
              tandem config check --ha-dir /tmp/seed --drbd-conf /tmp/seed/drbd.conf --node ovz-node1
              tandem config check --config /etc/tandem/tandem.toml --json | jq .diagnostics
            """);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var result = ConfigLoader.Load(common.ToConfigOptions(parse, parse.GetValue(node)));
            if (parse.GetValue(common.Json))
            {
                var document = new ConfigCheckDocument(
                    result.IsValid,
                    result.Spec is null ? null : ClusterSummary.ToDocument(result.Spec),
                    [.. result.Diagnostics.Select(d => new DiagnosticDocument(
                        d.Severity.ToString().ToLowerInvariant(), d.Code, d.File, d.Line, d.Column, d.Message, d.Hint))]);
                output.WriteLine(JsonSerializer.Serialize(document, CliJsonContext.Default.ConfigCheckDocument));
                return result.IsValid ? ExitCodes.Ok : ExitCodes.Failure;
            }
            foreach (var diagnostic in result.Diagnostics)
            {
                error.WriteLine(diagnostic.ToString());
            }
            if (result.Spec is not null)
            {
                output.Write(ClusterSummary.ToText(result.Spec));
            }
            output.WriteLine(Verdict(result.IsValid, result.Diagnostics));
            return result.IsValid ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>
    /// The last line of <c>config check</c>: whether a daemon would start on this configuration, and
    /// how many errors, warnings and notes say why or what to look at (the lines above them).
    /// </summary>
    /// <param name="valid">Whether the configuration is valid.</param>
    /// <param name="diagnostics">Everything the check found.</param>
    /// <returns>The line.</returns>
    internal static string Verdict(bool valid, IReadOnlyCollection<Diagnostic> diagnostics)
    {
        var errors = diagnostics.Count(d => d.Severity == Severity.Error);
        var warnings = diagnostics.Count(d => d.Severity == Severity.Warning);
        var notes = diagnostics.Count - errors - warnings;
        var counts = $"{Count(errors, "error")}, {Count(warnings, "warning")}, {Count(notes, "note")}";
        return valid
            ? $"Verdict: valid ({counts}){(warnings > 0 ? "; read the warnings above before relying on it" : "")}"
            : $"Verdict: INVALID ({counts}); a daemon would refuse to start on it: fix the errors above";
    }

    private static string Count(int n, string noun) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : "s")}");

    private static Command Convert(CommonOptions common, HelpSections help)
    {
        var node = NodeOption();
        var command = new Command("convert", "Print the native tandem.toml form of a configuration.");
        common.AddConfigInputs(command);
        command.Add(node);
        help.Add(command, """
            Details:
              Typically converts the classic files; reading the output back with --config gives the same
              cluster. Findings go to stderr.

            Exit codes:
              0  converted; the TOML is on stdout
              1  the input has errors (printed on stderr); nothing is printed on stdout
              2  usage error

            Examples:
              tandem config convert > /etc/tandem/tandem.toml
              tandem config convert --ha-dir /tmp/seed --drbd-conf /tmp/seed/drbd.conf
            """);
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            var result = ConfigLoader.Load(common.ToConfigOptions(parse, parse.GetValue(node)));
            foreach (var diagnostic in result.Diagnostics)
            {
                error.WriteLine(diagnostic.ToString());
            }
            if (!result.IsValid || result.Spec is null)
            {
                error.WriteLine("tandem config convert: the input has errors (above); nothing converted");
                return ExitCodes.Failure;
            }
            parse.InvocationConfiguration.Output.Write(NativeConfigWriter.Write(result.Spec));
            return ExitCodes.Ok;
        });
        return command;
    }
}
