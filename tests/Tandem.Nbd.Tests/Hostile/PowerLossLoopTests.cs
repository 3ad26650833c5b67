using System.Diagnostics;
using Tandem.Nbd.Client;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Tests.Hostile;

/// <summary>
/// The power-loss loop (issue #18, done-when): the Primary's machine loses power at a random moment
/// while clients write FUA records, 100 times; every record the server acknowledged must be on the
/// disk afterwards, whole. In process: the server is real (NBD over its Unix socket, real client
/// code), the power loss is simulated in the backing (<see cref="PowerLossVolume"/>: a volatile cache
/// that loses a random part of what was not yet durable) and by aborting the server at the same
/// moment, because a real process kill and restart per iteration would not fit 100 runs in a minute.
/// </summary>
public sealed class PowerLossLoopTests
{
    private const int Iterations = 100;
    private const int Writers = 4;
    private const int RecordSize = 4096;
    private const int Slots = 512; // 2 MiB of records per run, each slot written once

    [Fact]
    public async Task No_acknowledged_fua_record_is_lost_or_corrupt_across_100_power_losses()
    {
        var ct = TestContext.Current.CancellationToken;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        var tally = new RecordTally();
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var dir = TestServer.TempDirectory();
            var volume = new PowerLossVolume(new byte[Slots * RecordSize], new Random(random.Next()));
            var server = new NbdServer([new NbdExport("pl", volume, "power loss")], new NbdServerOptions
            {
                SocketPath = Path.Combine(dir, "nbd.sock"),
                ShutdownGrace = TimeSpan.FromMilliseconds(100),
            });
            var acked = new System.Collections.Concurrent.ConcurrentDictionary<int, byte[]>();
            try
            {
                await server.StartAsync(ct);
                var killAfter = random.Next(1, Slots * 3 / 4); // a random moment, counted in acks
                var powerLost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
                {
                    NbdClient client;
                    try
                    {
                        client = await NbdClient.ConnectAsync(server.SocketPath!, "pl", ct);
                    }
                    catch (Exception e) when (IsDeadServer(e))
                    {
                        return; // the power went before this writer got in
                    }
                    await using var connected = client;
                    for (var slot = w; slot < Slots && !powerLost.Task.IsCompleted; slot += Writers)
                    {
                        var record = RecordTally.Record(slot, iteration, RecordSize);
                        NbdError error;
                        try
                        {
                            error = await client.WriteAsync((ulong)slot * RecordSize, record, forceUnitAccess: true, ct);
                        }
                        catch (Exception e) when (IsDeadServer(e))
                        {
                            return; // the server died with the machine
                        }
                        if (error != NbdError.None)
                        {
                            return;
                        }
                        acked[slot] = record;
                        if (acked.Count >= killAfter)
                        {
                            powerLost.TrySetResult();
                        }
                    }
                }, ct)).ToList();
                await Task.WhenAny(powerLost.Task, Task.WhenAll(writers));
                volume.PowerLoss();
                await server.DisposeAsync();
                await Task.WhenAll(writers).WithinAsync(TimeSpan.FromSeconds(20), "the writers to see the dead server");
            }
            finally
            {
                await server.DisposeAsync();
                Directory.Delete(dir, recursive: true);
            }

            // After the "reboot": only the durable bytes remain.
            foreach (var (slot, record) in acked)
            {
                tally.Check(volume.Durable.AsSpan(slot * RecordSize, RecordSize), record);
            }
        }
        TestContext.Current.SendDiagnosticMessage(
            $"power-loss loop: {Iterations} power losses, {tally}, {clock.Elapsed.TotalSeconds:F1} s (seed {seed})");
        Assert.True(tally.Acknowledged >= Iterations, $"only {tally.Acknowledged} records were acknowledged in {Iterations} runs (seed {seed})");
        Assert.True(tally.Lost == 0 && tally.Corrupt == 0, $"after the power losses: {tally} (seed {seed})");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the loop took {clock.Elapsed.TotalSeconds:F1} s; it must stay within a minute");
    }

    /// <summary>What a client sees when the server's machine died under it.</summary>
    private static bool IsDeadServer(Exception e) =>
        e is IOException or System.Net.Sockets.SocketException or NbdProtocolException or ObjectDisposedException;
}
