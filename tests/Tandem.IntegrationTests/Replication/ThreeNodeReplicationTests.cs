using System.Globalization;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Replication;

/// <summary>
/// Three real daemons on loopback, two replicated resources in a chain: r0 between repl-a and
/// repl-b, r1 between repl-b and repl-c. repl-b, the Primary of both, is in two pairs at once;
/// its power loss must cost neither pair an acknowledged write, each survivor takes over its own
/// resource only, and the restarted repl-b resyncs both from their new Primaries.
/// </summary>
public sealed class ThreeNodeReplicationTests : IAsyncLifetime
{
    private const int Streams = 2;
    private const int PerStream = 96;
    private readonly string _work = TestPaths.NewTempDirectory("tandem-repl3");
    private ReplicaNode? _a;
    private ReplicaNode? _b;
    private ReplicaNode? _c;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        ExternalTool.RequireOrSkip("truncate", "qemu-io");
        var (addresses, ports, udp) = ReplicatedPair.PickAddresses(3, 2);
        _a = new ReplicaNode("repl-a", addresses[0], Path.Combine(_work, "a"));
        _b = new ReplicaNode("repl-b", addresses[1], Path.Combine(_work, "b"));
        _c = new ReplicaNode("repl-c", addresses[2], Path.Combine(_work, "c"));
        await ReplicatedPair.WriteNativeAsync(_work, [_a, _b, _c], [("r0", [_a, _b], ports[0]), ("r1", [_b, _c], ports[1])], udp, "dont-care");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in new[] { _a, _b, _c })
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }
        TestPaths.DeleteQuietly(_work);
    }

    [Fact]
    public async Task A_node_in_two_pairs_loses_power_and_each_pair_keeps_every_acknowledged_write_and_resyncs_it()
    {
        var (a, b, c) = (_a!, _b!, _c!);
        await a.TandemOkAsync("volume", "create-md", "r0");
        await b.TandemOkAsync("volume", "create-md", "r0");
        await b.TandemOkAsync("volume", "create-md", "r1");
        await c.TandemOkAsync("volume", "create-md", "r1");
        await Task.WhenAll(a.StartAsync(), b.StartAsync(), c.StartAsync());
        await Task.WhenAll(
            a.WaitForEventAsync(e => Is(e, "r0", "volume.connection") && e.Reason.Contains("just-created-both", StringComparison.Ordinal), "r0 to connect repl-a and repl-b"),
            c.WaitForEventAsync(e => Is(e, "r1", "volume.connection") && e.Reason.Contains("just-created-both", StringComparison.Ordinal), "r1 to connect repl-b and repl-c"));

        // Each node serves only the resources it hosts.
        Assert.Equal(["r0"], (await a.VolumesAsync()).Select(v => (string?)v!["name"]));
        Assert.Equal(["r0", "r1"], (await b.VolumesAsync()).Select(v => (string?)v!["name"]).Order());
        Assert.Equal(["r1"], (await c.VolumesAsync()).Select(v => (string?)v!["name"]));

        var (sinceA, sinceC) = (a.Cursor, c.Cursor);
        await b.TandemOkAsync("volume", "new-current-uuid", "--clear-bitmap", "r0");
        await b.TandemOkAsync("volume", "new-current-uuid", "--clear-bitmap", "r1");
        await Task.WhenAll(
            a.WaitForEventAsync(e => Is(e, "r0", "volume.disk") && e.Data?["new"] == "UpToDate", "r0 on repl-a to become UpToDate", since: sinceA),
            c.WaitForEventAsync(e => Is(e, "r1", "volume.disk") && e.Data?["new"] == "UpToDate", "r1 on repl-c to become UpToDate", since: sinceC));
        await b.TandemOkAsync("volume", "primary", "r0");
        await b.TandemOkAsync("volume", "primary", "r1");
        var usable0 = (long)(await a.ReplicationAsync("r0"))["size"]!;
        var usable1 = (long)(await c.ReplicationAsync("r1"))["size"]!;

        // FUA records into both volumes of repl-b at once; its power is cut in the middle.
        var w0 = new RecordWriter(milestone: 40) { Export = "r0" };
        var w1 = new RecordWriter(milestone: 40) { Export = "r1" };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var writing = Task.WhenAll(
            w0.RunAsync(b.SocketOf("r0"), Streams, PerStream, stop.Token),
            w1.RunAsync(b.SocketOf("r1"), Streams, PerStream, stop.Token));
        await Task.WhenAll(w0.Milestone, w1.Milestone).WithinAsync(TimeSpan.FromSeconds(30), "40 acknowledged writes into each of r0 and r1 on repl-b");
        await b.KillAsync();
        await writing.WithinAsync(TimeSpan.FromSeconds(30), "the writers to notice that repl-b died");

        // Each survivor promotes its own resource and holds every record repl-b acknowledged there.
        await a.WaitForEventAsync(e => Is(e, "r0", "volume.connection") && e.Data?["new"] == "Connecting", "repl-a to notice that r0's peer is gone");
        await c.WaitForEventAsync(e => Is(e, "r1", "volume.connection") && e.Data?["new"] == "Connecting", "repl-c to notice that r1's peer is gone");
        await a.TandemOkAsync("volume", "primary", "r0");
        await c.TandemOkAsync("volume", "primary", "r1");
        await AssertRecordsAsync(w0, a.BackingOf("r0"), "r0", a.Name);
        await AssertRecordsAsync(w1, c.BackingOf("r1"), "r1", c.Name);

        // The new Primaries write while repl-b is down; repl-b comes back Secondary on both and
        // resyncs each volume from its own peer.
        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", $"nbd+unix:///r0?socket={a.SocketOf("r0")}", "-c", "write -P 0x5a 8M 64k", "-c", "flush");
        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", $"nbd+unix:///r1?socket={c.SocketOf("r1")}", "-c", "write -P 0xa5 9M 64k", "-c", "flush");
        await b.StartAsync();
        foreach (var resource in new[] { "r0", "r1" })
        {
            var up = await b.WaitForEventAsync(e => Is(e, resource, "volume.up"), $"repl-b to bring {resource} up again", since: 0);
            Assert.Equal("Secondary", up.Data?["role"]);
            await b.WaitForEventAsync(e => Is(e, resource, "volume.sync.finished"), $"repl-b to finish resyncing {resource}", TimeSpan.FromSeconds(60), since: 0);
        }
        foreach (var (resource, peer, usable) in new[] { ("r0", a, usable0), ("r1", c, usable1) })
        {
            var replication = await b.ReplicationAsync(resource);
            Assert.Equal("UpToDate", (string?)replication["disk"]);
            Assert.Equal(0, (long)replication["outOfSyncBytes"]!);
            Assert.True(await ReplicatedPair.HashAsync(peer.BackingOf(resource), usable) == await ReplicatedPair.HashAsync(b.BackingOf(resource), usable),
                $"{resource}: the backings of {peer.Name} and repl-b differ after the resync");
        }
    }

    private static bool Is(Tandem.Core.Events.ClusterEvent e, string resource, string kind) =>
        e.Kind == kind && e.Subject == resource;

    private static async Task AssertRecordsAsync(RecordWriter writer, string backing, string resource, string node)
    {
        var acked = writer.Acked.ToList();
        Assert.InRange(acked.Count, 40, Streams * PerStream - 1);
        await using var file = new FileStream(backing, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var record = new byte[RecordWriter.RecordSize];
        foreach (var (stream, index) in acked)
        {
            file.Seek(RecordWriter.OffsetOf(stream, index, PerStream), SeekOrigin.Begin);
            await file.ReadExactlyAsync(record, Ct);
            Assert.True(record.AsSpan().SequenceEqual(RecordWriter.Content(stream, index)),
                string.Create(CultureInfo.InvariantCulture, $"record {index} of stream {stream} of {resource} was acknowledged by repl-b but is not on {node}"));
        }
    }
}
