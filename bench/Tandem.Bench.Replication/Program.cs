using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Tandem.Bench.Replication;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Nbd;
using Tandem.Replication;
using Tandem.Replication.Metadata;

// Usage: Tandem.Bench.Replication primary|secondary FILE LISTEN-PORT PEER-PORT A|B|C [NBD-SOCKET]
// One replica of a pair on loopback TCP, on a zeroed FILE (fresh metadata is written at its end;
// both files must hold the same data, e.g. zeros, since the initial sync is skipped). The primary
// promotes itself, serves the volume on NBD-SOCKET (export "bench") and then reads commands on stdin:
//   resync FRACTION SEED   disconnect, write FRACTION of the first GiB's 4 KiB blocks (random data,
//                          random blocks), reconnect, wait for the resync; prints one JSON line
//   status                 prints the volume status as JSON
// TANDEM_NBD_SPIN_US overrides the NBD connection threads' polling window (microseconds; 0: off).
// Both print "ready" when serving, and stop on SIGTERM/SIGINT or end of stdin (primary).
if (args.Length < 5 || args[0] is not ("primary" or "secondary") || (args[0] == "primary" && args.Length < 6))
{
    Console.Error.WriteLine("usage: Tandem.Bench.Replication primary|secondary FILE LISTEN-PORT PEER-PORT A|B|C [NBD-SOCKET]");
    return 2;
}
var primary = args[0] == "primary";
var protocol = Enum.Parse<ReplicationProtocol>(args[4]);
var sink = new SignalSink { Verbose = Environment.GetEnvironmentVariable("TANDEM_BENCH_EVENTS") is not null };
await using var backing = FileVolume.Open(args[1]);
await ReplicaMetadata.CreateAsync(backing, null, alExtents: 1237, force: true, CancellationToken.None);
var options = new ReplicatedVolumeOptions
{
    Resource = "bench",
    NodeName = primary ? "alpha" : "beta",
    PeerName = primary ? "beta" : "alpha",
    Listen = new IPEndPoint(IPAddress.Loopback, int.Parse(args[2], CultureInfo.InvariantCulture)),
    Peer = new IPEndPoint(IPAddress.Loopback, int.Parse(args[3], CultureInfo.InvariantCulture)),
    Protocol = protocol,
    // The resync runs as fast as it can: the benchmark measures the mechanism, not the throttle.
    ResyncRate = 64L << 30,
    ConnectInterval = TimeSpan.FromMilliseconds(200),
};
await using var volume = await ReplicatedVolume.OpenAsync(options, backing, null, sink, null, null, CancellationToken.None);
var wait = TimeSpan.FromSeconds(60);
await volume.ConnectAsync();
using var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
{
    c.Cancel = true;
    stop.Cancel();
});

if (Environment.GetEnvironmentVariable("TANDEM_BENCH_TP") is not null)
{
    // Diagnostics: thread-pool work items per second (each costs a hop and a wake-up).
    _ = Task.Run(async () =>
    {
        while (true)
        {
            await Task.Delay(1000);
            Console.Error.WriteLine($"{args[0]} tp-items {ThreadPool.CompletedWorkItemCount} threads {ThreadPool.ThreadCount} sent {volume.SentBytes}");
        }
    });
}

if (!primary)
{
    Console.WriteLine("ready");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
        // Stopping.
    }
    return 0;
}

await sink.UntilAsync(() => volume.Replication == ReplicationState.Established, wait, "the connection to the secondary");
await volume.SkipInitialSyncAsync(CancellationToken.None);
await sink.UntilAsync(() => volume.PeerDisk == DiskState.UpToDate, wait, "the secondary UpToDate");
await volume.PromoteAsync(force: false, CancellationToken.None);
var export = new NbdExport("bench", volume, "replicated benchmark volume (protocol " + protocol + ")");
var nbdOptions = new NbdServerOptions { SocketPath = args[5] };
if (Environment.GetEnvironmentVariable("TANDEM_NBD_SPIN_US") is { } nbdSpin)
{
    nbdOptions = nbdOptions with { SpinBeforeBlocking = TimeSpan.FromMicroseconds(int.Parse(nbdSpin, CultureInfo.InvariantCulture)) };
}
await using var server = new NbdServer([export], nbdOptions);
await server.StartAsync(CancellationToken.None);
Console.WriteLine($"ready size={volume.Size}");

var commands = Task.Run(async () =>
{
    while (await Console.In.ReadLineAsync() is { } line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            switch (words.FirstOrDefault())
            {
                case "resync":
                    Console.WriteLine(await ResyncAsync(double.Parse(words[1], CultureInfo.InvariantCulture), int.Parse(words[2], CultureInfo.InvariantCulture)));
                    break;
                case "status":
                    Console.WriteLine(volume.GetStatus());
                    break;
                case null:
                    break;
                default:
                    Console.WriteLine("error unknown command " + words[0]);
                    break;
            }
        }
        catch (Exception ex)
        {
            Console.WriteLine("error " + ex.Message.ReplaceLineEndings(" "));
        }
    }
});
await Task.WhenAny(commands, Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
await server.StopAsync(CancellationToken.None);
return 0;

async Task<string> ResyncAsync(double fraction, int seed)
{
    await volume.DisconnectAsync();
    // Dirty a random FRACTION of the 4 KiB blocks while alone: they land in the bitmap.
    var blocks = (int)(Math.Min(volume.Size, 1L << 30) / 4096); // of the first GiB, what fio writes
    var order = Enumerable.Range(0, blocks).ToArray();
    var random = new Random(seed);
    random.Shuffle(order);
    var count = (int)(blocks * fraction);
    var data = new byte[4096];
    for (var i = 0; i < count; i++)
    {
        random.NextBytes(data);
        await volume.WriteAsync((long)order[i] * 4096, data, false, CancellationToken.None);
    }
    var dirty = volume.OutOfSyncBytes;
    var sentBefore = volume.SentBytes;
    var last = sink.Last;
    var clock = Stopwatch.StartNew();
    await volume.ConnectAsync();
    var started = await sink.WaitAsync(last, e => e.Kind == "volume.sync.started" && e.Node == "alpha", wait, "the resync to start");
    var startedAt = clock.Elapsed;
    var finished = await sink.WaitAsync(last, e => e.Kind == "volume.sync.finished" && e.Node == "alpha", TimeSpan.FromMinutes(10), "the resync to finish");
    var total = clock.Elapsed;
    var wire = volume.SentBytes - sentBefore;
    await sink.UntilAsync(() => volume.PeerDisk == DiskState.UpToDate && volume.Replication == ReplicationState.Established, wait, "the secondary UpToDate again");
    var syncSeconds = (total - startedAt).TotalSeconds;
    return new JsonObject
    {
        ["dirtyBlocks"] = count,
        ["dirtyBytes"] = dirty,
        ["syncStartedBytes"] = started.Data?["bytes"],
        ["resyncDataBytes"] = finished.Data?["sentBytes"],
        ["wireBytes"] = wire,
        ["connectToFinishedSeconds"] = Math.Round(total.TotalSeconds, 4),
        ["syncSeconds"] = Math.Round(syncSeconds, 4),
        ["syncMiBps"] = Math.Round(dirty / 1048576.0 / syncSeconds, 1),
    }.ToJsonString();
}
