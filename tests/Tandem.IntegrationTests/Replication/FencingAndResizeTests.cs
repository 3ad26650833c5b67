using System.Globalization;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Nbd.Client;
using Tandem.Nbd.Protocol;
using Xunit;

namespace Tandem.IntegrationTests.Replication;

/// <summary>
/// The daemon's wiring of fencing, outdate and online resize, on two real daemons with membership
/// on (so that the cluster channel carries the outdate requests): a Primary that loses its
/// replication link with <c>fencing resource-only</c> has the peer's daemon outdate its copy;
/// <c>tandem volume outdate</c> by hand; <c>tandem volume resize</c> after both backings grew.
/// </summary>
public sealed class FencingAndResizeTests : IAsyncLifetime
{
    private readonly string _work = TestPaths.NewTempDirectory("tandem-fence");
    private ReplicatedPair? _pair;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        ExternalTool.RequireOrSkip("truncate", "nbdinfo");
        return ValueTask.CompletedTask;
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
    public async Task Resource_only_fencing_outdates_the_peer_over_the_cluster_channel_and_a_resync_makes_it_UpToDate_again()
    {
        _pair = await ReplicatedPair.CreateNativeAsync(_work, "resource-only");
        var (a, b) = (_pair.A, _pair.B);
        await _pair.StartInSyncWithPrimaryAAsync();

        // Only the replication link goes (membership stays up): B drops it and stays StandAlone.
        await b.TandemOkAsync("volume", "disconnect", "r0");
        var fenced = await a.WaitForEventAsync(e => e.Kind == "volume.fencing" && e.Data?["phase"] == "finished",
            "repl-a to fence repl-b after losing the replication link");
        Assert.True(fenced.Data?["result"] == "PeerOutdated", $"{fenced.Reason} {string.Join(", ", fenced.Data ?? new Dictionary<string, string>())}");
        var outdated = await b.WaitForEventAsync(e => e.Kind == "volume.outdated", "repl-b to outdate its copy at repl-a's request");
        Assert.Equal("repl-a", outdated.Data?["peer"]);
        Assert.Equal("Outdated", (string?)(await b.ReplicationAsync())["disk"]);
        Assert.Equal("Outdated", (string?)(await a.ReplicationAsync())["peerDisk"]);

        var promote = await b.TandemAsync("volume", "primary", "r0");
        Assert.True(promote.ExitCode == 1, promote.ToString());
        Assert.Contains("Outdated", promote.Stderr, StringComparison.Ordinal);

        // The Primary writes on meanwhile: the reconnect resyncs those blocks and clears the mark.
        await using (var client = await NbdClient.ConnectAsync(a.Socket, "r0", Ct))
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(NbdError.None, await client.WriteAsync((ulong)RecordWriter.OffsetOf(0, i, 4), RecordWriter.Content(0, i), forceUnitAccess: true, Ct));
            }
        }
        var since = b.Cursor;
        await b.TandemOkAsync("volume", "connect", "r0");
        await b.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-b to resync from repl-a after reconnecting", since: since);
        await b.WaitForEventAsync(e => e.Kind == "volume.disk" && e.Data?["new"] == "UpToDate", "repl-b to be UpToDate again", since: since);
        Assert.Equal("UpToDate", (string?)(await b.ReplicationAsync())["disk"]);
    }

    [Fact]
    public async Task Outdate_marks_a_disconnected_secondary_which_then_refuses_promotion_and_a_primary_refuses_it()
    {
        _pair = await ReplicatedPair.CreateAsync(_work);
        var (a, b) = (_pair.A, _pair.B);
        await _pair.StartInSyncWithPrimaryAAsync();

        var primary = await a.TandemAsync("volume", "outdate", "r0");
        Assert.True(primary.ExitCode == 1, primary.ToString());
        Assert.Contains("Primary", primary.Stderr, StringComparison.Ordinal);

        var connected = await b.TandemAsync("volume", "outdate", "r0");
        Assert.True(connected.ExitCode == 1, connected.ToString());
        Assert.Contains("connected", connected.Stderr, StringComparison.Ordinal);

        await b.TandemOkAsync("volume", "disconnect", "r0");
        var outdate = await b.TandemOkAsync("volume", "outdate", "r0");
        Assert.Contains("r0 is Outdated", outdate.Stdout, StringComparison.Ordinal);
        Assert.Equal("Outdated", (string?)(await b.ReplicationAsync())["disk"]);

        var promote = await b.TandemAsync("volume", "primary", "r0");
        Assert.True(promote.ExitCode == 1, promote.ToString());
        Assert.Contains("refusing to promote with disk state Outdated", promote.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resize_after_growing_both_backings_shows_the_new_size_to_nbd_clients_and_keeps_the_data()
    {
        _pair = await ReplicatedPair.CreateAsync(_work);
        var (a, b) = (_pair.A, _pair.B);
        await _pair.StartInSyncWithPrimaryAAsync();
        var old = (long)(await a.ReplicationAsync())["size"]!;

        // Records at the start and at the very end of the old size.
        long[] offsets = [0, 64 * 1024, old - RecordWriter.RecordSize];
        await using (var client = await NbdClient.ConnectAsync(a.Socket, "r0", Ct))
        {
            for (var i = 0; i < offsets.Length; i++)
            {
                Assert.Equal(NbdError.None, await client.WriteAsync((ulong)offsets[i], RecordWriter.Content(1, i), forceUnitAccess: true, Ct));
            }
        }

        var grown = (ReplicatedPair.BackingSize * 2).ToString(CultureInfo.InvariantCulture);
        await ExternalTool.RunOkAsync("truncate", "-s", grown, a.Backing);
        await ExternalTool.RunOkAsync("truncate", "-s", grown, b.Backing);
        var sinceA = a.Cursor;
        var sinceB = b.Cursor;
        var resize = await a.TandemOkAsync("volume", "resize", "r0");
        Assert.Contains("resized from", resize.Stdout, StringComparison.Ordinal);

        var resizedA = await a.WaitForEventAsync(e => e.Kind == "volume.resize", "repl-a to resize r0", since: sinceA);
        var resizedB = await b.WaitForEventAsync(e => e.Kind == "volume.resize", "repl-b to resize r0 with repl-a", since: sinceB);
        var size = long.Parse(resizedA.Data!["new"], CultureInfo.InvariantCulture);
        Assert.True(size > old && size <= ReplicatedPair.BackingSize * 2, $"new size {size}, old {old}");
        Assert.Equal(size, long.Parse(resizedB.Data!["new"], CultureInfo.InvariantCulture));
        Assert.Equal(size, (long)(await b.ReplicationAsync())["size"]!);

        // A size that is not one is refused before the daemon is asked; the same size again is a no-op.
        var bad = await a.TandemAsync("volume", "resize", "--size", "12Q", "r0");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("not a size", bad.Stderr, StringComparison.Ordinal);
        var same = await a.TandemOkAsync("volume", "resize", "--size", size.ToString(CultureInfo.InvariantCulture), "r0");
        Assert.Contains("already", same.Stdout, StringComparison.Ordinal);

        var info = await ExternalTool.RunOkAsync("nbdinfo", "--size", a.NbdUri);
        Assert.Equal(size, long.Parse(info.Output.Trim(), CultureInfo.InvariantCulture));

        await a.WaitForEventAsync(e => e.Kind == "volume.sync.finished", "repl-a to resync the grown area to repl-b", since: sinceA);
        await using (var client = await NbdClient.ConnectAsync(a.Socket, "r0", Ct))
        {
            Assert.Equal((ulong)size, client.Size);
            var buffer = new byte[RecordWriter.RecordSize];
            for (var i = 0; i < offsets.Length; i++)
            {
                Assert.Equal(NbdError.None, await client.ReadAsync((ulong)offsets[i], buffer, Ct));
                Assert.True(buffer.AsSpan().SequenceEqual(RecordWriter.Content(1, i)), $"the record at {offsets[i]} changed");
            }
            // The grown area is writable.
            Assert.Equal(NbdError.None, await client.WriteAsync((ulong)(size - RecordWriter.RecordSize), RecordWriter.Content(2, 0), forceUnitAccess: true, Ct));
        }
        Assert.Equal(await ReplicatedPair.HashAsync(a, size), await ReplicatedPair.HashAsync(b, size));
    }

    [Fact]
    public async Task Resource_and_stonith_freezes_writes_when_the_peer_cannot_be_outdated_and_resume_io_thaws_them()
    {
        _pair = await ReplicatedPair.CreateNativeAsync(_work, "resource-and-stonith");
        var (a, b) = (_pair.A, _pair.B);
        await _pair.StartInSyncWithPrimaryAAsync();
        var notFrozen = await a.TandemOkAsync("volume", "resume-io", "r0");
        Assert.Contains("was not frozen", notFrozen.Stdout, StringComparison.Ordinal);

        // B's volume goes down: its daemon answers that it cannot outdate it, so fencing fails and
        // the Primary's writes stay frozen (no fence device is configured to power B off).
        await b.TandemOkAsync("volume", "down", "r0");
        await a.WaitForEventAsync(e => e.Kind == "volume.io" && e.Data?["state"] == "frozen", "repl-a to freeze writes while fencing repl-b");
        var fenced = await a.WaitForEventAsync(e => e.Kind == "volume.fencing" && e.Data?["phase"] == "finished", "repl-a to finish fencing repl-b");
        Assert.Equal("Failed", fenced.Data?["result"]);
        Assert.True((bool)(await a.ReplicationAsync())["ioFrozen"]!, "status shows the frozen I/O");

        await using var client = await NbdClient.ConnectAsync(a.Socket, "r0", Ct);
        var write = client.WriteAsync(0, RecordWriter.Content(3, 0), forceUnitAccess: true, Ct);
        var resumed = await a.TandemOkAsync("volume", "resume-io", "r0");
        Assert.Contains("I/O resumed", resumed.Stdout, StringComparison.Ordinal);
        Assert.Equal(NbdError.None, await write.WithinAsync(TimeSpan.FromSeconds(10), "the frozen write on repl-a to complete after resume-io"));
    }
}
