using System.Buffers.Binary;
using Tandem.Replication.Metadata;
using Tandem.Replication.Peer;
using Tandem.Replication.Protocol;
using Tandem.Replication.Resync;
using Tandem.Replication.Tests.Support;
using Tandem.Replication.Uuids;
using Xunit;

namespace Tandem.Replication.Tests.Resync;

public sealed class ResyncTargetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SyncStart_data_and_SyncDone_store_the_blocks_clear_the_bitmap_and_end_UpToDate_with_the_sources_generation()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        var frames = new ResyncTarget(f, f.Backing, f.Disk, f.Events, TimeProvider.System).Register(new FrameDispatcher());
        f.Metadata.Bitmap.Set(8192, 8192);
        var source = new GenerationUuids(0x7000_0000_0000_0009, 0x5000, 0, 0);

        await DispatchAsync(frames, f.Session, FrameType.SyncStart, ReplicationMessages.Uuids(new GenerationUuids(source.Bitmap, 0, 0, 0)));
        Assert.Equal(DiskState.Inconsistent, f.Disk.State);
        Assert.Equal([ReplicationState.SyncTarget], f.States);
        Assert.Equal(8192, f.Session.Resync!.TotalBytes);

        var block = new byte[8 + 8192];
        BinaryPrimitives.WriteInt64BigEndian(block, 8192);
        block.AsSpan(8).Fill(0xAB);
        await DispatchAsync(frames, f.Session, FrameType.ResyncData, block);
        Assert.Equal(0, f.Metadata.Bitmap.Count);
        Assert.All(f.Backing.Bytes.AsSpan(8192, 8192).ToArray(), b => Assert.Equal(0xAB, b));

        await DispatchAsync(frames, f.Session, FrameType.SyncDone, ReplicationMessages.Uuids(source));
        Assert.Equal(DiskState.UpToDate, f.Disk.State);
        Assert.Equal(source with { Current = 0x7000_0000_0000_0008 }, f.Metadata.Uuids);
        Assert.Equal([ReplicationState.SyncTarget, ReplicationState.Established], f.States);
        Assert.Null(f.Session.Resync);
        Assert.Contains(f.Sink.Events, e => e.Kind == "volume.sync.finished");
    }

    [Fact]
    public async Task Resync_data_beyond_the_agreed_size_ends_the_session()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        var frames = new ResyncTarget(f, f.Backing, f.Disk, f.Events, TimeProvider.System).Register(new FrameDispatcher());
        var block = new byte[8 + 4096];
        BinaryPrimitives.WriteInt64BigEndian(block, f.Size);
        await Assert.ThrowsAsync<ProtocolException>(() => DispatchAsync(frames, f.Session, FrameType.ResyncData, block));
    }

    [Fact]
    public async Task An_in_sync_notice_clears_its_range()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        var frames = new ResyncTarget(f, f.Backing, f.Disk, f.Events, TimeProvider.System).Register(new FrameDispatcher());
        f.Metadata.Bitmap.Set(0, 3 * QuickSyncBitmap.BytesPerBit);
        await DispatchAsync(frames, f.Session, FrameType.ResyncInSync, ReplicationMessages.Ack(0, 0, 2 * QuickSyncBitmap.BytesPerBit));
        Assert.Equal(QuickSyncBitmap.BytesPerBit, f.Metadata.Bitmap.OutOfSyncBytes);
    }

    private static Task<bool> DispatchAsync(FrameDispatcher frames, PeerSession session, FrameType type, byte[] payload) =>
        frames.DispatchAsync(session, new ReceivedFrame(type, payload, payload.Length, false), Ct);
}
