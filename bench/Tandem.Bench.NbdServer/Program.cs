using Tandem.Core.Volumes;
using Tandem.Nbd;

// Usage: Tandem.Bench.NbdServer FILE SOCKET [EXPORT-NAME]
// Serves FILE on the Unix socket SOCKET until SIGTERM/SIGINT; prints "ready" when listening.
// TANDEM_NBD_SPIN_US overrides the connection threads' polling window (0 turns it off).
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Tandem.Bench.NbdServer FILE SOCKET [EXPORT-NAME]");
    return 2;
}
await using var volume = FileVolume.Open(args[0]);
var export = new NbdExport(args.Length > 2 ? args[2] : "bench", volume, "benchmark export of " + args[0]);
var logger = Environment.GetEnvironmentVariable("TANDEM_NBD_DEBUG") is null ? null : new Tandem.Bench.NbdServer.StderrLogger();
var options = new NbdServerOptions { SocketPath = args[1] };
if (Environment.GetEnvironmentVariable("TANDEM_NBD_SPIN_US") is { } spin)
{
    options = options with { SpinBeforeBlocking = TimeSpan.FromMicroseconds(int.Parse(spin, System.Globalization.CultureInfo.InvariantCulture)) };
}
await using var server = new NbdServer([export], options, logger);
await server.StartAsync(CancellationToken.None);
Console.WriteLine("ready");
using var stop = new CancellationTokenSource();
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Stopping.
}
await server.StopAsync(CancellationToken.None);
return 0;
