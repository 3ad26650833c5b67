using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Tandem.Config;
using Tandem.Daemon;

namespace Tandem.Cli.Commands;

/// <summary>The options several commands share, so that they read and document the same way everywhere.</summary>
internal sealed class CommonOptions
{
    public Option<string?> HaDir { get; } = new("--ha-dir")
    {
        Description = $"Directory of Heartbeat's ha.cf, authkeys and haresources [default: {ConfigOptions.DefaultHaDirectory}]",
        HelpName = "DIR",
    };

    public Option<string?> DrbdConf { get; } = new("--drbd-conf")
    {
        Description = $"DRBD configuration, with its include files [default: {ConfigOptions.DefaultDrbdConf}, read when it exists]",
        HelpName = "FILE",
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Native tandem.toml; when given, the classic files are not read [default: none; the classic files are read]",
        HelpName = "FILE",
    };

    public Option<bool> AllowInsecureAuth { get; } = new("--allow-insecure-auth")
    {
        Description = "Accept unkeyed authentication ('crc' in authkeys), which lets anyone on the network forge cluster messages [default: refused]",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON instead of text [default: text]",
    };

    public Option<string> RunDir { get; } = new("--run-dir")
    {
        Description = "Run directory of the daemon: its pid file and control socket (control.sock)",
        HelpName = "DIR",
        DefaultValueFactory = _ => DaemonOptions.DefaultRunDirectory,
    };

    /// <summary>The node this machine is: <c>uname -n</c>, as Heartbeat and DRBD take it.</summary>
    public static string MachineNodeName() => Dns.GetHostName(); // gethostname(2), untruncated, no DNS lookup

    /// <summary>Adds the configuration-input options to a command, and refuses --config mixed with classic options.</summary>
    public void AddConfigInputs(Command command)
    {
        command.Add(HaDir);
        command.Add(DrbdConf);
        command.Add(Config);
        command.Add(AllowInsecureAuth);
        command.Validators.Add(result =>
        {
            if (IsGiven(result, Config) && (IsGiven(result, HaDir) || IsGiven(result, DrbdConf)))
            {
                result.AddError("--config reads the native tandem.toml; it cannot be combined with --ha-dir or --drbd-conf (which read the classic files)");
            }
        });
    }

    /// <summary>The load options the command line asks for.</summary>
    public ConfigOptions ToConfigOptions(ParseResult parse, string? localNode) => new()
    {
        HaDirectory = parse.GetValue(HaDir),
        DrbdConf = parse.GetValue(DrbdConf),
        NativeConfig = parse.GetValue(Config),
        AllowInsecureAuth = parse.GetValue(AllowInsecureAuth),
        LocalNode = localNode,
    };

    private static bool IsGiven(CommandResult result, Option option) =>
        result.GetResult(option) is { Implicit: false };
}
