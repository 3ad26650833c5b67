using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tandem.Cli.Demo;
using Tandem.Nbd;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem demo-writer</c> (hidden): the demo's service, a process resource that writes numbered,
/// acknowledged records to a volume, and with <c>--check</c> the checker that reads them back.
/// </summary>
internal static class DemoWriterCommand
{
    public static Command Create(HelpSections help)
    {
        var socket = new Option<string>("--socket")
        {
            Description = "The volume's NBD export socket (RUN_DIR/nbd/RESOURCE.sock)",
            HelpName = "PATH",
            Required = true,
        };
        var export = new Option<string>("--export")
        {
            Description = "The export name [default: r0]",
            HelpName = "NAME",
            DefaultValueFactory = _ => "r0",
        };
        var acks = new Option<string>("--acks")
        {
            Description = "The acknowledgement file: one record number per line, appended after each acknowledged write",
            HelpName = "FILE",
            Required = true,
        };
        var interval = new Option<int>("--interval-ms")
        {
            Description = "Milliseconds between two records [default: 20]",
            HelpName = "MS",
            DefaultValueFactory = _ => 20,
        };
        var check = new Option<bool>("--check")
        {
            Description = "Do not write: read back every acknowledged record and report the missing ones (exit 1 if any)",
        };
        var command = new Command("demo-writer", "The demo's service: write numbered records to a volume and record each acknowledgement.")
        {
            Hidden = true,
        };
        command.Add(socket);
        command.Add(export);
        command.Add(acks);
        command.Add(interval);
        command.Add(check);
        help.Add(command, """
            Details:
              Each record is one 4 KiB block: a magic, its number, the time, a fill pattern and a
              CRC-32. Record N goes to block N (modulo the volume's size), written with FUA; once the
              write is acknowledged, N is appended to the acknowledgement file. Started again, the
              writer continues after the last acknowledged number. SIGTERM stops it (exit 0); a
              refused write ends it with exit 1. With --check, every acknowledged record still on
              the volume is read back and compared.

            Examples:
              tandem demo-writer --socket /run/tandem/nbd/r0.sock --acks /tmp/acks
              tandem demo-writer --socket /run/tandem/nbd/r0.sock --acks /tmp/acks --check
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var socketPath = parse.GetValue(socket)!;
            var name = parse.GetValue(export)!;
            var acksPath = parse.GetValue(acks)!;
            try
            {
                if (parse.GetValue(check))
                {
                    var result = await RecordChecker.CheckAsync(socketPath, name, acksPath, cancellationToken).ConfigureAwait(false);
                    foreach (var (number, problem) in result.Problems.Take(20))
                    {
                        await error.WriteLineAsync($"record {number}: {problem}").ConfigureAwait(false);
                    }
                    await output.WriteLineAsync(result.AllPresent
                        ? $"{result.Acknowledged} acknowledged records, all present"
                        : $"{result.Acknowledged} acknowledged records, {result.Problems.Count} missing or damaged").ConfigureAwait(false);
                    return result.AllPresent ? ExitCodes.Ok : ExitCodes.Failure;
                }
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
                {
                    context.Cancel = true;
                    stop.Cancel();
                });
                var writer = new RecordWriter(socketPath, name, acksPath, TimeProvider.System)
                {
                    Interval = TimeSpan.FromMilliseconds(Math.Clamp(parse.GetValue(interval), 1, 60_000)),
                };
                return await writer.RunAsync(error, stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or IOException or NbdProtocolException)
            {
                await error.WriteLineAsync($"tandem demo-writer: {socketPath}: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
