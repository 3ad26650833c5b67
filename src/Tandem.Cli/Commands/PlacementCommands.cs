using System.CommandLine;
using System.Text.Json;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem standby|takeover|failback</c>: move resource groups between the two nodes, as Heartbeat's hb_standby and hb_takeover did.</summary>
internal static class PlacementCommands
{
    public static Command CreateStandby(CommonOptions common, HelpSections help)
    {
        var set = SetArgument();
        var command = new Command("standby", "Hand the groups of this node to the peer: each is stopped here, then started there.") { set, common.Json, common.RunDir };
        help.Add(command, """
            Details:
              Asks the daemon on RUN_DIR to give the groups of the set that run on its node to the peer
              (Heartbeat's hb_standby). Each group is stopped here, last resource first; only when it is
              stopped is the peer told to start it, so a group never runs on both nodes. The command
              returns once the move is under way; follow it with 'tandem events --follow' (group.stopped
              here, then group.started on the peer) or 'tandem status'.

              The set is relative to this node: 'local' are the groups whose preferred node is this
              node, 'foreign' the others, 'all' (the default) every group. 'failback' is accepted as
              Heartbeat's synonym of 'foreign'.

              Refused (exit 1) when the peer is not up (nobody could take the groups), while the initial
              placement is not decided yet, or while a takeover waits for fencing.

              Standby is a move, not a mode: with auto_failback on or legacy, a group comes back to its
              preferred node the next time that node joins the cluster.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem standby
                  Every group of this node moves to the peer (before maintenance).
              tandem standby foreign
                  Give the peer back the groups this node took over from it.
              tandem standby local --run-dir /tmp/n1/run
            """);
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse, common, "standby", (client, ct) => client.StandbyAsync(parse.GetValue(set)!, ct), cancellationToken));
        return command;
    }

    public static Command CreateTakeover(CommonOptions common, HelpSections help)
    {
        var set = SetArgument();
        var command = new Command("takeover", "Move the groups of the set to this node: the peer stops each, then it starts here.") { set, common.Json, common.RunDir };
        help.Add(command, """
            Details:
              Asks the daemon on RUN_DIR to run the groups of the set on its node (Heartbeat's
              hb_takeover). The peer stops each group it runs and releases it; this node starts it only
              after the release arrives, so a group never runs on both nodes. A group of the set that runs
              nowhere (it failed) is started here again: takeover also clears the "failed here" mark.

              The set is relative to this node: 'local' (groups whose preferred node is this node),
              'foreign' (the others) or 'all' (the default).

              Refused (exit 1) while a takeover waits for fencing: a dead peer's groups are taken over
              only once it is fenced; see 'tandem fence confirm'.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem takeover
              tandem takeover local
                  Bring back the groups whose preferred node is this one.
            """);
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse, common, "takeover", (client, ct) => client.TakeoverAsync(parse.GetValue(set)!, ct), cancellationToken));
        return command;
    }

    public static Command CreateFailback(CommonOptions common, HelpSections help)
    {
        var command = new Command("failback", "Move every group to its preferred node.") { common.Json, common.RunDir };
        help.Add(command, """
            Details:
              Asks the daemon on RUN_DIR to put every group on its preferred node (the first word of
              its haresources line, or preferred_node): groups of the peer that run here are handed back,
              and groups of this node that run on the peer are asked for. This is what auto_failback on
              does by itself when a node joins; with auto_failback off it is how groups go home.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem failback
            """);
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse, common, "failback", (client, ct) => client.FailbackAsync(ct), cancellationToken));
        return command;
    }

    public static Command CreateFence(CommonOptions common, HelpSections help)
    {
        var command = new Command("fence", "Fencing: confirm by hand that a node is off.");
        var node = new Argument<string>("node") { Description = "The node you have made sure is powered off" };
        var confirm = new Command("confirm", "Confirm that a node is off, so that its groups may be taken over.") { node, common.Json, common.RunDir };
        help.Add(confirm, """
            Details:
              Tells the daemon on RUN_DIR that NODE is powered off (Heartbeat's 'meatclient -c NODE',
              Pacemaker's 'stonith_admin --confirm NODE'). It completes a manual fence device that waits
              for the confirmation ('OPERATOR INTERVENTION REQUIRED' in the events), or, when the
              takeover of NODE's groups is blocked because fencing it failed, lets the takeover proceed
              on your word. Run it on the surviving node.

              NEVER confirm a node you have not checked: if it still runs, both nodes run its groups and
              write the same data. Pull its power, or check its hypervisor or power switch, first.

              Exit 1 when nothing waits for a confirmation of NODE.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem fence confirm ovz-node1
            """);
        confirm.SetAction((parse, cancellationToken) =>
            RunAsync(parse, common, "fence confirm", (client, ct) => client.ConfirmFencedAsync(parse.GetValue(node)!, ct), cancellationToken));
        command.Add(confirm);
        help.Add(command, """
            Details:
              Fence devices are configured in ha.cf (stonith, stonith_host) or tandem.toml ([fencing]);
              'tandem status' shows them and the last outcome per node. See docs/fencing.md.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem fence confirm ovz-node1
            """);
        return command;
    }

    private static Argument<string> SetArgument() => new("groups")
    {
        Description = "Which groups, relative to this node: all, local (preferred node is this node) or foreign",
        DefaultValueFactory = _ => "all",
        Arity = ArgumentArity.ZeroOrOne,
        HelpName = "all|local|foreign",
    };

    private static async Task<int> RunAsync(ParseResult parse, CommonOptions common, string name,
        Func<ControlClient, CancellationToken, Task<PlacementDocument>> call, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        if (parse.CommandResult.Command.Arguments.FirstOrDefault(a => a.Name == "groups") is Argument<string> groups
            && parse.GetValue(groups) is { } set && set is not ("all" or "local" or "foreign" or "failback"))
        {
            await error.WriteLineAsync($"tandem {name}: the set must be all, local or foreign, not '{set}'").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        using var client = new ControlClient(parse.GetValue(common.RunDir)!);
        try
        {
            var answer = await call(client, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(common.Json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(answer, FailoverJsonContext.Default.PlacementDocument)).ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync($"{answer.Node}: {answer.Message}").ConfigureAwait(false);
                foreach (var group in answer.Groups)
                {
                    await output.WriteLineAsync($"  {group}").ConfigureAwait(false);
                }
            }
            return ExitCodes.Ok;
        }
        catch (DaemonUnreachableException e)
        {
            await error.WriteLineAsync($"tandem {name}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Unreachable;
        }
        catch (ControlApiException e)
        {
            await error.WriteLineAsync($"tandem {name}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }
}
