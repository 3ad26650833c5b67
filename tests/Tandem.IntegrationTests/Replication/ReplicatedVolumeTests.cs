using System.Globalization;
using System.Text.Json.Nodes;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Nbd.Client;
using Tandem.Nbd.Protocol;
using Xunit;

namespace Tandem.IntegrationTests.Replication;

/// <summary>
/// Replicated volumes hosted by two real daemons on loopback: the initial sync, a Primary killed
/// during a stream of acknowledged writes, its restart and bitmap resync, a frozen Secondary, a
/// split brain and its manual recovery, and what a Secondary refuses. Assertions are on the event
/// streams, on <c>tandem volume</c>'s answers, and on the data (both backings hashed).
/// </summary>
public sealed class ReplicatedVolumeTests : IAsyncLifetime
{
    private readonly string _work = TestPaths.NewTempDirectory("tandem-repl");
    private ReplicatedPair? _pair;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ReplicatedPair Pair => _pair!;

    public async ValueTask InitializeAsync()
    {
        ExternalTool.RequireOrSkip("truncate", "qemu-io");
        _pair = await ReplicatedPair.CreateAsync(_work);
    }

    public async ValueTask DisposeAsync()
    {
        if (_pair is not null)
        {
            await _pair.DisposeAsync();
        }
        TestPaths.DeleteQuietly(_work);
    }

    [Fact]
    public async Task A_new_pair_syncs_fully_from_the_forced_primary_and_both_backings_hash_equal()
    {
        var (a, b) = (Pair.A, Pair.B);
        // Node A's backing has data that counts (random), B's is empty.
        await using (var file = new FileStream(a.Backing, FileMode.Open, FileAccess.Write))
        {
            var data = new byte[4 << 20];
            Random.Shared.NextBytes(data);
            await file.WriteAsync(data, Ct);
        }
        await Pair.StartNewPairAsync();

        // create-md refuses existing metadata while the volume is up, and says why.
        var again = await a.TandemAsync("volume", "create-md", "r0");
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("is up in the running daemon", again.Stderr, StringComparison.Ordinal);

        var status = await a.TandemOkAsync("volume", "status");
        Assert.Contains("r0: cs:Connected ro:Secondary/Secondary ds:Inconsistent/Inconsistent C", status.Stdout, StringComparison.Ordinal);

        await a.TandemOkAsync("volume", "primary", "--force", "r0");
        var started = await b.WaitForEventAsync(e => e.Kind == "volume.sync.started", "repl-b to start the initial sync as target");
        Assert.Equal("SyncTarget", started.Data?["role"]);
        await b.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-b to finish the initial sync");
        var finished = await a.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-a to finish the initial sync as source");
        var usable = (long)(await a.ReplicationAsync())["size"]!;
        Assert.Equal(usable, long.Parse(finished.Data!["bytes"], CultureInfo.InvariantCulture));
        Assert.Equal(await ReplicatedPair.HashAsync(a, usable), await ReplicatedPair.HashAsync(b, usable));

        var replication = await b.ReplicationAsync();
        Assert.Equal("Secondary", (string?)replication["role"]);
        Assert.Equal("UpToDate", (string?)replication["disk"]);
        Assert.Equal("Primary", (string?)replication["peerRole"]);

        // A real client writes through the Primary; under protocol C the write is on B when it completes.
        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", a.NbdUri, "-c", "write -P 0xa5 1M 256k", "-c", "flush");
        var read = await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", "-r", b.NbdUri, "-c", "read -P 0xa5 1M 256k");
        Assert.DoesNotContain("Pattern verification failed", read.All, StringComparison.Ordinal);
        Assert.Equal(await ReplicatedPair.HashAsync(a, usable), await ReplicatedPair.HashAsync(b, usable));

        // Online verify finds nothing; then a block corrupted behind B's back, which a verify from
        // the Primary finds and resyncs.
        var clean = await a.TandemOkAsync("volume", "verify", "--wait", "r0");
        Assert.Contains("volume.verify.finished r0: 0 bytes out of sync", clean.Stdout, StringComparison.Ordinal);
        await using (var file = new FileStream(b.Backing, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Seek(3 << 20, SeekOrigin.Begin);
            await file.WriteAsync(new byte[] { 0xde, 0xad, 0xbe, 0xef }, Ct);
        }
        Assert.NotEqual(await ReplicatedPair.HashAsync(a, usable), await ReplicatedPair.HashAsync(b, usable));
        var found = await a.TandemOkAsync("volume", "verify", "--wait", "--resync-from-here", "r0");
        Assert.Contains("volume.verify.finished r0: 4096 bytes out of sync", found.Stdout, StringComparison.Ordinal);
        await b.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-b to receive the block the verify found");
        Assert.Equal(await ReplicatedPair.HashAsync(a, usable), await ReplicatedPair.HashAsync(b, usable));

        // invalidate: B discards its data and receives all of it again.
        await b.TandemOkAsync("volume", "invalidate", "r0");
        var full = await b.WaitForEventAsync(e => e.Kind == "volume.sync.started", "repl-b to start the full resync after invalidate");
        Assert.Equal(usable, long.Parse(full.Data!["bytes"], CultureInfo.InvariantCulture));
        await b.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-b to finish the full resync");
        Assert.Equal(await ReplicatedPair.HashAsync(a, usable), await ReplicatedPair.HashAsync(b, usable));

        // SIGTERM: the Primary demotes before it closes, so its next start is not a crash.
        await a.StopAsync();
        Assert.Contains("volume.role r0: demoted", a.Daemon!.Stderr, StringComparison.Ordinal);
        Assert.Contains("volume.down r0: the daemon stopped", a.Daemon.Stderr, StringComparison.Ordinal);
        await a.DisposeAsync();
        await a.StartAsync();
        var back = await a.WaitForEventAsync(e => e.Kind == "volume.connection" && e.Data?["new"] == "Connected", "repl-a to reconnect after its clean restart");
        Assert.Contains("uuid_compare()=NoSync by rule=reconnected (40)", back.Reason, StringComparison.Ordinal);
        Assert.Equal(0, (long)(await a.ReplicationAsync())["outOfSyncBytes"]!);
        await a.StopAsync();
        await b.StopAsync();
    }

    [Fact]
    public async Task Every_write_acknowledged_before_the_primary_dies_is_on_the_peer_and_the_restarted_node_resyncs_only_its_bitmap()
    {
        var (a, b) = (Pair.A, Pair.B);
        await Pair.StartInSyncWithPrimaryAAsync();
        var usable = (long)(await a.ReplicationAsync())["size"]!;

        // Four streams of FUA writes (records of 4 KiB in the first 2 MiB); kill A in the middle.
        const int streams = 4, perStream = 128;
        var writer = new RecordWriter(milestone: 100);
        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var writing = writer.RunAsync(a.Socket, streams, perStream, stopWriting.Token);
        await writer.Milestone.WithinAsync(TimeSpan.FromSeconds(30), "100 acknowledged writes on repl-a");
        await a.KillAsync();
        await writing.WithinAsync(TimeSpan.FromSeconds(30), "the writers to notice that repl-a died");
        var acked = writer.Acked.ToList();
        Assert.InRange(acked.Count, 100, streams * perStream - 1);

        await b.WaitForEventAsync(e => e.Kind == "volume.connection" && e.Data?["new"] == "Connecting", "repl-b to notice that repl-a is gone");
        await b.TandemOkAsync("volume", "primary", "r0");
        await using (var backing = new FileStream(b.Backing, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            var record = new byte[RecordWriter.RecordSize];
            foreach (var (stream, index) in acked)
            {
                backing.Seek(RecordWriter.OffsetOf(stream, index, perStream), SeekOrigin.Begin);
                await backing.ReadExactlyAsync(record, Ct);
                Assert.True(record.AsSpan().SequenceEqual(RecordWriter.Content(stream, index)),
                    $"record {index} of stream {stream} was acknowledged by repl-a but is not on repl-b");
            }
        }
        // B, the new Primary, writes without its peer (a new data generation) in the second half.
        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", b.NbdUri, "-c", "write -P 0x77 12M 64k", "-c", "flush");

        // A comes back after the crash: Secondary, it reconnects and receives only the blocks of its
        // activity log (the hot 4 MiB extent of the killed writes) and what B wrote since.
        await a.StartAsync();
        var up = await a.WaitForEventAsync(e => e.Kind == "volume.up", "repl-a to bring r0 up again", since: 0);
        Assert.Equal("Secondary", up.Data?["role"]);
        var sync = await a.WaitForEventAsync(e => e.Kind == "volume.sync.started", "repl-a to start resyncing from repl-b", since: 0);
        Assert.Equal("SyncTarget", sync.Data?["role"]);
        var bytes = long.Parse(sync.Data!["bytes"], CultureInfo.InvariantCulture);
        Assert.InRange(bytes, (4L << 20) + (64 << 10), usable - 1);
        await a.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-a to finish the resync");
        var replication = await a.ReplicationAsync();
        Assert.Equal("Secondary", (string?)replication["role"]);
        Assert.Equal("UpToDate", (string?)replication["disk"]);
        Assert.Equal(0, (long)replication["outOfSyncBytes"]!);
        Assert.Equal(await ReplicatedPair.HashAsync(b, usable), await ReplicatedPair.HashAsync(a, usable));
    }

    [Fact]
    public async Task A_frozen_secondary_is_declared_lost_the_primary_keeps_writing_and_resyncs_it_after_it_resumes()
    {
        var (a, b) = (Pair.A, Pair.B);
        await Pair.StartInSyncWithPrimaryAAsync();
        var usable = (long)(await a.ReplicationAsync())["size"]!;

        b.Signal(ReplicaNode.SIGSTOP);
        try
        {
            // The first write waits for the frozen peer until it is declared lost (ping-int 1 s +
            // timeout 3 s); then writes complete locally and are recorded in the bitmap.
            await using var client = await NbdClient.ConnectAsync(a.Socket, "r0", Ct);
            for (var i = 0; i < 16; i++)
            {
                var error = await client.WriteAsync((ulong)RecordWriter.OffsetOf(0, i, 16), RecordWriter.Content(0, i), forceUnitAccess: true, Ct)
                    .WithinAsync(TimeSpan.FromSeconds(20), $"write {i} on repl-a while repl-b is frozen");
                Assert.Equal(NbdError.None, error);
            }
            var lost = await a.WaitForEventAsync(e => e.Kind == "volume.connection" && e.Data?["new"] == "Connecting", "repl-a to declare repl-b lost");
            Assert.Contains("PingAck did not arrive", lost.Reason, StringComparison.Ordinal);
            Assert.Equal(16L * RecordWriter.RecordSize, (long)(await a.ReplicationAsync())["outOfSyncBytes"]!);
        }
        finally
        {
            b.Signal(ReplicaNode.SIGCONT);
        }

        var sync = await a.WaitForEventAsync(e => e.Kind == "volume.sync.started", "repl-a to resync repl-b after it resumed");
        Assert.Equal("SyncSource", sync.Data?["role"]);
        Assert.Equal(16L * RecordWriter.RecordSize, long.Parse(sync.Data!["bytes"], CultureInfo.InvariantCulture));
        await a.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-a to finish resyncing repl-b");
        await b.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-b to finish its resync");
        Assert.Equal(await ReplicatedPair.HashAsync(a, usable), await ReplicatedPair.HashAsync(b, usable));
    }

    [Fact]
    public async Task A_split_brain_is_reported_on_both_nodes_and_connect_discard_my_data_resolves_it()
    {
        var (a, b) = (Pair.A, Pair.B);
        await Pair.StartInSyncWithPrimaryAAsync();
        var usable = (long)(await a.ReplicationAsync())["size"]!;
        await a.TandemOkAsync("volume", "disconnect", "r0");
        await b.TandemOkAsync("volume", "disconnect", "r0");

        // Both write while apart.
        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", a.NbdUri, "-c", "write -P 0x11 1M 64k", "-c", "flush");
        await b.TandemOkAsync("volume", "primary", "r0");
        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", b.NbdUri, "-c", "write -P 0x22 2M 64k", "-c", "flush");

        var (sinceA, sinceB) = (a.Cursor, b.Cursor);
        await a.TandemOkAsync("volume", "connect", "r0");
        await b.TandemOkAsync("volume", "connect", "r0");
        await a.WaitForEventAsync(e => e.Kind == "volume.split-brain", "repl-a to detect the split brain");
        await b.WaitForEventAsync(e => e.Kind == "volume.split-brain", "repl-b to detect the split brain");
        await a.WaitForEventAsync(e => e.Kind == "volume.connection" && e.Data?["new"] == "StandAlone", "repl-a to drop the connection", since: sinceA);
        await b.WaitForEventAsync(e => e.Kind == "volume.connection" && e.Data?["new"] == "StandAlone", "repl-b to drop the connection", since: sinceB);
        await using (var events = await b.TandemOkAsync("events", "--json"))
        {
            Assert.Contains(events.Stdout.Split('\n'), line => JsonNode.Parse(line) is { } ev && (string?)ev["kind"] == "volume.split-brain");
        }
        Assert.Contains("cs:StandAlone ro:Primary/Unknown", (await a.TandemOkAsync("volume", "status")).Stdout, StringComparison.Ordinal);

        // B is the victim: its change since the split (0x22 at 2M) is discarded.
        sinceB = b.Cursor;
        await b.TandemOkAsync("volume", "secondary", "r0");
        await b.TandemOkAsync("volume", "connect", "--discard-my-data", "r0");
        await a.TandemOkAsync("volume", "connect", "r0");
        var sync = await b.WaitForEventAsync(e => e.Kind == "volume.sync.started", "repl-b to resync as the split-brain victim", since: sinceB);
        Assert.Equal("SyncTarget", sync.Data?["role"]);
        Assert.InRange(long.Parse(sync.Data!["bytes"], CultureInfo.InvariantCulture), 128 << 10, (1 << 20) - 1);
        await b.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-b to finish the resync");
        Assert.Equal(await ReplicatedPair.HashAsync(a, usable), await ReplicatedPair.HashAsync(b, usable));
        var read = await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", "-r", b.NbdUri, "-c", "read -P 0x11 1M 64k", "-c", "read -P 0 2M 64k");
        Assert.DoesNotContain("Pattern verification failed", read.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_metadata_status_says_so_and_a_secondary_refuses_writes_and_promotion_of_inconsistent_data()
    {
        var (a, b) = (Pair.A, Pair.B);
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var missing = await a.TandemOkAsync("volume", "status");
        Assert.Contains("r0: no metadata: run tandem volume create-md r0", missing.Stdout, StringComparison.Ordinal);
        var refused = await a.TandemAsync("volume", "primary", "r0");
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("run tandem volume create-md r0", refused.Stderr, StringComparison.Ordinal);

        // Metadata while the daemons run (the volume is not up), then up.
        await a.TandemOkAsync("volume", "create-md", "r0");
        await b.TandemOkAsync("volume", "create-md", "r0");
        await a.TandemOkAsync("volume", "up", "r0");
        await b.TandemOkAsync("volume", "up", "r0");
        await b.WaitForEventAsync(e => e.Kind == "volume.connection" && e.Data?["new"] == "Connected", "repl-b to connect after up");

        // Inconsistent data may not become Primary.
        var inconsistent = await b.TandemAsync("volume", "primary", "r0");
        Assert.True(inconsistent.ExitCode == 1, inconsistent.ToString());
        Assert.Contains("refusing to promote with disk state Inconsistent", inconsistent.Stderr, StringComparison.Ordinal);

        await a.TandemOkAsync("volume", "new-current-uuid", "--clear-bitmap", "r0");
        await b.WaitForEventAsync(e => e.Kind == "volume.disk" && e.Data?["new"] == "UpToDate", "repl-b to become UpToDate");

        // A client connected while Secondary gets a read-only export and EPERM on a write.
        await using var early = await NbdClient.ConnectAsync(a.Socket, "r0", Ct);
        Assert.True(early.ReadOnly, "the export of a Secondary must be read-only");
        Assert.Equal(NbdError.Perm, await early.WriteAsync(0, new byte[4096], forceUnitAccess: false, Ct));

        await a.TandemOkAsync("volume", "primary", "r0");
        // Promotion makes new connections writable; the early one stays read-only.
        await using var late = await NbdClient.ConnectAsync(a.Socket, "r0", Ct);
        Assert.False(late.ReadOnly, "the export of a Primary must be writable");
        Assert.Equal(NbdError.None, await late.WriteAsync(0, RecordWriter.Content(9, 9), forceUnitAccess: true, Ct));
        Assert.Equal(NbdError.Perm, await early.WriteAsync(0, new byte[4096], forceUnitAccess: false, Ct));

        // The Secondary refuses writes, and refuses promotion beside a Primary (the acknowledged
        // write above went to B after A's role change, on the same stream: B has seen the role).
        await using var secondary = await NbdClient.ConnectAsync(b.Socket, "r0", Ct);
        Assert.True(secondary.ReadOnly);
        Assert.Equal(NbdError.Perm, await secondary.WriteAsync(4096, new byte[4096], forceUnitAccess: true, Ct));
        var second = await b.TandemAsync("volume", "primary", "r0");
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains("the peer is Primary", second.Stderr, StringComparison.Ordinal);
        var buffer = new byte[4096];
        Assert.Equal(NbdError.None, await secondary.ReadAsync(0, buffer, Ct));
        Assert.True(buffer.AsSpan().SequenceEqual(RecordWriter.Content(9, 9)), "the Secondary must read what the Primary wrote");

        // down demotes and closes; status says how to bring it back.
        await late.DisposeAsync();
        await early.DisposeAsync();
        await a.TandemOkAsync("volume", "down", "r0");
        var down = await a.TandemOkAsync("volume", "status");
        Assert.Contains("r0: down: taken down (tandem volume up r0 brings it back)", down.Stdout, StringComparison.Ordinal);
    }
}
