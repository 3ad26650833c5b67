using System.Buffers.Binary;
using CsCheck;
using Tandem.Replication.Metadata;
using Tandem.Replication.Tests.Support;
using Tandem.Replication.Uuids;
using Xunit;

namespace Tandem.Replication.Tests.Metadata;

public sealed class ReplicaMetadataTests
{
    private const long Size = 8L << 20;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_then_open_round_trips_uuids_flags_and_bitmap()
    {
        var vol = new MemoryVolume(Size);
        var md = await ReplicaMetadata.CreateAsync(vol, null, 67, force: false, Ct);
        Assert.Equal(GenerationUuids.Created, md.Uuids);
        Assert.True(md.UsableSize < Size && md.UsableSize % 4096 == 0);
        Assert.True(md.Layout.SuperblockOffset >= md.UsableSize);
        var uuids = new GenerationUuids(0x1234_5678_9ABC_DEF0, 0x42, 0x84, 0);
        await md.UpdateAsync(_ => uuids, f => f | MetadataFlags.Consistent | MetadataFlags.WasUpToDate, Ct);
        md.Bitmap.Set(4096 * 3, 4096 * 2);
        md.Bitmap.Set(md.UsableSize - 1, 1);
        await md.FlushBitmapAsync(Ct);

        var again = await ReplicaMetadata.OpenAsync(vol, null, Ct);
        Assert.Equal(uuids, again.Uuids);
        Assert.True(again.Flags.HasFlag(MetadataFlags.Consistent));
        Assert.Equal(3, again.Bitmap.Count);
        Assert.True(again.Bitmap.IsSet(3) && again.Bitmap.IsSet(4) && !again.Bitmap.IsSet(5));
        Assert.Equal(md.DeviceUuid, again.DeviceUuid);
    }

    [Fact]
    public async Task External_metadata_leaves_the_whole_backing_usable()
    {
        var data = new MemoryVolume(Size);
        var meta = new MemoryVolume(1 << 20);
        var md = await ReplicaMetadata.CreateAsync(data, meta, 67, false, Ct);
        Assert.Equal(Size, md.UsableSize);
        Assert.All(data.Bytes, b => Assert.Equal(0, b));
        var again = await ReplicaMetadata.OpenAsync(data, meta, Ct);
        Assert.Equal(md.DeviceUuid, again.DeviceUuid);
        Assert.True(again.Layout.External);
    }

    [Fact]
    public async Task Open_without_metadata_says_to_create_it()
    {
        var ex = await Assert.ThrowsAsync<MetadataException>(() => ReplicaMetadata.OpenAsync(new MemoryVolume(Size), null, Ct));
        Assert.Contains("create-md", ex.Message);
    }

    [Fact]
    public async Task Create_refuses_existing_metadata_without_force_and_says_what_it_found()
    {
        var vol = new MemoryVolume(Size);
        var first = await ReplicaMetadata.CreateAsync(vol, null, 67, false, Ct);
        var ex = await Assert.ThrowsAsync<MetadataException>(() => ReplicaMetadata.CreateAsync(vol, null, 67, false, Ct));
        Assert.Contains("existing Tandem metadata", ex.Message);
        Assert.Contains("--force", ex.Message);
        var second = await ReplicaMetadata.CreateAsync(vol, null, 67, true, Ct);
        Assert.NotEqual(first.DeviceUuid, second.DeviceUuid);
    }

    [Fact]
    public async Task Create_refuses_an_ext4_filesystem()
    {
        var vol = new MemoryVolume(Size);
        BinaryPrimitives.WriteUInt16LittleEndian(vol.Bytes.AsSpan(1080), 0xEF53);
        var ex = await Assert.ThrowsAsync<MetadataException>(() => ReplicaMetadata.CreateAsync(vol, null, 67, false, Ct));
        Assert.Contains("ext2/3/4", ex.Message);
        await ReplicaMetadata.CreateAsync(vol, null, 67, true, Ct);
    }

    [Fact]
    public async Task Create_refuses_an_xfs_filesystem()
    {
        var vol = new MemoryVolume(Size);
        "XFSB"u8.CopyTo(vol.Bytes);
        var ex = await Assert.ThrowsAsync<MetadataException>(() => ReplicaMetadata.CreateAsync(vol, null, 67, false, Ct));
        Assert.Contains("XFS", ex.Message);
    }

    [Fact]
    public async Task A_torn_superblock_write_at_any_byte_keeps_the_old_or_the_new_superblock()
    {
        var pristine = new MemoryVolume(1 << 20);
        var md0 = await ReplicaMetadata.CreateAsync(pristine, null, 7, false, Ct);
        var before = new GenerationUuids(0x1000, 0, 0, 0);
        await md0.UpdateAsync(_ => before, f => f, Ct);
        var after = new GenerationUuids(0x2000, 0x1000, 0, 0);
        for (var tear = 0; tear <= 4096; tear++)
        {
            var faulty = new FaultyVolume(new MemoryVolume((byte[])pristine.Bytes.Clone()));
            var md = await ReplicaMetadata.OpenAsync(faulty, null, Ct);
            faulty.TearNextWrite(tear);
            var torn = true;
            try
            {
                await md.UpdateAsync(_ => after, f => f, Ct);
                torn = false;
            }
            catch (IOException)
            {
            }
            Assert.True(torn, "the tear was injected");
            var reopened = await ReplicaMetadata.OpenAsync(faulty, null, Ct);
            Assert.True(reopened.Uuids == before || reopened.Uuids == after, $"tear at {tear}: found {reopened.Uuids}");
            if (tear == 4096)
            {
                Assert.Equal(after, reopened.Uuids);
            }
        }
    }

    [Fact]
    public async Task Activity_log_commits_before_the_first_write_to_a_cold_extent_only()
    {
        var faulty = new FaultyVolume(new MemoryVolume(64L << 20));
        var md = await ReplicaMetadata.CreateAsync(faulty, null, 2, false, Ct);
        var al = md.ActivityLog;
        var w0 = faulty.Writes;
        await al.BeginAsync(0, 4096, Ct);
        Assert.Equal(1, al.Transactions);
        Assert.True(faulty.Writes > w0, "the AL transaction reached the disk");
        await al.BeginAsync(8192, 4096, Ct); // same extent: no transaction
        Assert.Equal(1, al.Transactions);
        await al.BeginAsync(5L << 20, 4096, Ct);
        Assert.Equal(2, al.Transactions);
        al.Complete(0, 4096);
        al.Complete(8192, 4096);
        await al.BeginAsync(9L << 20, 4096, Ct); // a third extent evicts the idle extent 0
        Assert.Equal(3, al.Transactions);
        Assert.Equal([1u, 2u], al.Extents.Order());
    }

    [Fact]
    public async Task An_extent_being_committed_is_not_written_by_anyone_before_the_commit_is_durable()
    {
        var durable = new TaskCompletionSource();
        var al = new ActivityLog(7, 0, [], (_, _, ct) => new ValueTask(durable.Task.WaitAsync(ct)), _ => ValueTask.CompletedTask);
        var first = al.BeginAsync(5L << 22, 4096, Ct).AsTask();
        var second = al.BeginAsync((5L << 22) + 8192, 4096, Ct).AsTask(); // the same extent, another writer

        Assert.False(first.IsCompleted, "the first write went ahead before its AL transaction was durable");
        Assert.False(second.IsCompleted, "a second write to the extent went ahead before the extent's AL transaction was durable");
        durable.SetResult();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(1, al.Transactions);
    }

    [Fact]
    public async Task The_log_never_holds_more_extents_than_its_on_disk_copy_records_and_waits_for_a_write_instead()
    {
        const int capacity = 1015; // a copy of exactly one 4 KiB block: no spare slot
        Assert.Equal(capacity, ActivityLog.Slots(capacity));
        var al = new ActivityLog(capacity, 0, [], (_, _, _) => ValueTask.CompletedTask, _ => ValueTask.CompletedTask);
        for (var e = 0L; e < capacity; e++)
        {
            await al.BeginAsync(e << ActivityLog.ExtentShift, 4096, Ct); // every extent busy
        }

        var more = al.BeginAsync((long)capacity << ActivityLog.ExtentShift, 4096, Ct).AsTask();
        Assert.False(more.IsCompleted, "a write to one more cold extent went ahead although the copy had no slot for it");
        al.Complete(3L << ActivityLog.ExtentShift, 4096);
        await more.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(capacity, al.Extents.Count);
        Assert.DoesNotContain(3u, al.Extents);
    }

    [Fact]
    public async Task A_crashed_primary_marks_its_activity_log_extents_out_of_sync()
    {
        var vol = new MemoryVolume(64L << 20);
        var md = await ReplicaMetadata.CreateAsync(vol, null, 67, false, Ct);
        await md.UpdateAsync(u => u, f => f | MetadataFlags.Consistent | MetadataFlags.PrimaryIndicator, Ct);
        await md.ActivityLog.BeginAsync(5L << 20, 4096, Ct);
        // Power loss: nothing else happens. Reopen.
        var again = await ReplicaMetadata.OpenAsync(vol, null, Ct);
        Assert.True(again.RecoveredFromCrash);
        Assert.True(again.Flags.HasFlag(MetadataFlags.CrashedPrimary));
        Assert.False(again.Flags.HasFlag(MetadataFlags.PrimaryIndicator));
        Assert.Equal(1024, again.Bitmap.Count); // one 4 MiB extent = 1024 blocks
        Assert.True(again.Bitmap.IsSet((4L << 20) / 4096));
        Assert.False(again.Bitmap.IsSet(0));
    }

    [Fact]
    public void Bitmap_count_matches_a_model_under_random_set_and_clear()
    {
        Gen.Select(Gen.Bool, Gen.Int[0, 200], Gen.Int[0, 20]).Array[1, 40].Sample(ops =>
        {
            var bm = new QuickSyncBitmap(150 * 4096 + 100);
            var model = new bool[bm.Blocks];
            foreach (var (set, start, len) in ops)
            {
                if (set)
                {
                    bm.Set(start * 4096L, len * 4096L);
                }
                else
                {
                    bm.Clear(start * 4096L, len * 4096L);
                }
                for (var b = start; b < start + len && b < model.Length; b++)
                {
                    model[b] = set;
                }
            }
            Assert.Equal(model.Count(x => x), bm.Count);
            var first = Array.IndexOf(model, true);
            Assert.Equal(first, bm.FindNextSet(0));
        });
    }
}
