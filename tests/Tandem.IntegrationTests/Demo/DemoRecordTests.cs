using Tandem.Cli.Demo;
using Tandem.Core.Volumes;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Nbd;
using Xunit;

namespace Tandem.IntegrationTests.Demo;

/// <summary>The demo's service and checker against a real NBD export: what they promise is what they find.</summary>
public sealed class DemoRecordTests : IDisposable
{
    private readonly string _work = TestPaths.NewTempDirectory("tandem-rec");

    public void Dispose() => TestPaths.DeleteQuietly(_work);

    [Fact]
    public async Task The_checker_finds_every_acknowledged_record_and_names_the_damaged_ones()
    {
        var ct = TestContext.Current.CancellationToken;
        var backing = Path.Combine(_work, "r0.img");
        var socket = Path.Combine(_work, "r0.sock");
        var acks = Path.Combine(_work, "acks");
        await using var volume = FileVolume.Create(backing, 1 << 20); // 256 records: the writer wraps around
        await using var server = new NbdServer([new NbdExport("r0", volume, "demo")], new NbdServerOptions { SocketPath = socket });
        await server.StartAsync(ct);

        var first = await WriteAsync(socket, acks, until: 300, ct);
        Assert.Equal(0, first);
        var written = RecordWriter.ReadAcknowledged(acks);
        Assert.Equal(Enumerable.Range(0, written.Count).Select(i => (long)i), written);

        var check = await RecordChecker.CheckAsync(socket, "r0", acks, ct);
        Assert.True(check.AllPresent, string.Join(", ", check.Problems));
        Assert.Equal(256, check.Acknowledged); // the newest volume-full; older ones were overwritten by design

        // Started again, it continues after the last acknowledged record.
        var resumed = await WriteAsync(socket, acks, until: written[^1] + 5, ct);
        Assert.Equal(written[^1] + 1, resumed);

        // Damage two records behind the server's back: one zeroed, one with a flipped byte.
        var all = RecordWriter.ReadAcknowledged(acks);
        var zeroed = all[^1];
        var flipped = all[^2];
        await using (var file = new FileStream(backing, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = (long)DemoRecord.Offset(zeroed, 1 << 20);
            await file.WriteAsync(new byte[DemoRecord.Size], ct);
            file.Position = (long)DemoRecord.Offset(flipped, 1 << 20) + 100;
            file.WriteByte(0xEE);
        }
        check = await RecordChecker.CheckAsync(socket, "r0", acks, ct);
        Assert.Equal([(flipped, "torn (bad checksum)"), (zeroed, "missing (no record there)")], check.Problems);

        // The command line says the same, with exit status 1.
        await using var cli = await TandemProcess.RunAsync(["demo-writer", "--check", "--socket", socket, "--acks", acks], TimeSpan.FromSeconds(60));
        Assert.True(cli.ExitCode == 1, cli.ToString());
        Assert.Contains($"record {zeroed}: missing (no record there)", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains("2 missing or damaged", cli.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Runs a writer until record <paramref name="until"/> is acknowledged; returns the first number it wrote.</summary>
    private static async Task<long> WriteAsync(string socket, string acks, long until, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long? first = null;
        var reached = new TaskCompletionSource();
        var writer = new RecordWriter(socket, "r0", acks, TimeProvider.System)
        {
            Interval = TimeSpan.FromMilliseconds(1),
            Acknowledged = n =>
            {
                first ??= n;
                if (n >= until)
                {
                    reached.TrySetResult();
                }
            },
        };
        var run = writer.RunAsync(TextWriter.Null, stop.Token);
        await Task.WhenAny(reached.Task, run).WithinAsync(TimeSpan.FromSeconds(60), $"the writer to reach record {until}");
        await stop.CancelAsync();
        Assert.Equal(0, await run.WithinAsync(TimeSpan.FromSeconds(30), "the writer to stop"));
        return first!.Value;
    }
}
