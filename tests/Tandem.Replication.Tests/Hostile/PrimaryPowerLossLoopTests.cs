using System.Collections.Concurrent;
using System.Diagnostics;
using Tandem.Replication.Tests.Support;
using Tandem.Testing;
using Xunit;

namespace Tandem.Replication.Tests.Hostile;

/// <summary>
/// The power-loss loop of issue #18 at the cluster level: a Primary replicating with protocol C is
/// killed (<see cref="ReplicatedVolume.CrashAsync"/>: it stops dead, as on a power loss) at a random
/// moment while four writers send FUA records, 100 times; each time the Secondary is promoted and
/// every record the Primary acknowledged must be on it, whole (the promoted Secondary
/// returned zeros for acknowledged blocks). In process, over the in-memory link, so that 100 kills
/// fit in CI's budget.
/// </summary>
public sealed class PrimaryPowerLossLoopTests
{
    private const int Iterations = 100;
    private const int Writers = 4;
    private const int RecordSize = 4096;
    private const int Slots = 128; // 512 KiB of records per run, each slot written once

    [Fact]
    public async Task No_acknowledged_fua_record_is_lost_or_corrupt_on_the_promoted_secondary_across_100_primary_kills()
    {
        var ct = TestContext.Current.CancellationToken;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        var tally = new RecordTally();
        var setUpTime = TimeSpan.Zero;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var setUp = Stopwatch.StartNew();
            await using var c = await Cluster.SyncedAsync(size: 4 << 20, transport: PeerTransportKind.InMemory);
            setUpTime += setUp.Elapsed;
            var acked = new ConcurrentDictionary<int, byte[]>();
            var killAfter = random.Next(1, Slots / 2); // a random moment, counted in acks
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var dead = 0; // set before the kill: a dead machine acknowledges nothing
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (var slot = w; slot < Slots && !killed.Task.IsCompleted; slot += Writers)
                {
                    var record = RecordTally.Record(slot, iteration, RecordSize);
                    try
                    {
                        await c.A.Volume.WriteAsync((long)slot * RecordSize, record, forceUnitAccess: true, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        return; // the Primary died under the write: not acknowledged
                    }
                    // A write that completes once the kill has begun is not an acknowledgement a
                    // client could have seen (the Primary may complete in-flight writes locally as
                    // it loses its peer, which a powered-off machine never does).
                    if (Volatile.Read(ref dead) != 0)
                    {
                        return;
                    }
                    acked[slot] = record;
                    if (acked.Count >= killAfter)
                    {
                        killed.TrySetResult();
                    }
                }
            }, ct)).ToList();
            await Task.WhenAny(killed.Task, Task.WhenAll(writers));
            Volatile.Write(ref dead, 1);
            await c.A.CrashAsync();
            await Task.WhenAll(writers).WithinAsync(TimeSpan.FromSeconds(20), "the writers to see the dead Primary");
            await c.WaitForAsync("beta to lose the dead Primary", () => c.B.Volume.Connection != ConnectionState.Connected);
            await c.B.Volume.PromoteAsync(false, ct);

            var onDisk = new byte[RecordSize];
            foreach (var (slot, record) in acked)
            {
                await c.B.Volume.ReadAsync((long)slot * RecordSize, onDisk, ct);
                tally.Check(onDisk, record);
            }
        }
        TestContext.Current.SendDiagnosticMessage(
            $"primary power-loss loop: {Iterations} kills, on the promoted Secondary {tally}, {clock.Elapsed.TotalSeconds:F1} s, of which {setUpTime.TotalSeconds:F1} s setting up synced pairs (seed {seed})");
        Assert.True(tally.Acknowledged >= Iterations, $"only {tally.Acknowledged} records were acknowledged in {Iterations} runs (seed {seed})");
        Assert.True(tally.Lost == 0 && tally.Corrupt == 0, $"on the promoted Secondary: {tally} (seed {seed})");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the loop took {clock.Elapsed.TotalSeconds:F1} s; it must stay within a minute");
    }
}
