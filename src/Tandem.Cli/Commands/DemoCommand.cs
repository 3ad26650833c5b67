using System.CommandLine;
using Tandem.Cli.Demo;
using Tandem.Config.Native;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem demo</c>: two real nodes on this machine with a replicated volume and a service, a power
/// cut, fencing, takeover, every acknowledged record checked, the return and failback, with no
/// configuration and no root. Everything it shows is the product itself: the daemons are this
/// program, the heartbeats are real UDP on loopback, signed with a fresh key.
/// </summary>
internal static class DemoCommand
{
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
}
