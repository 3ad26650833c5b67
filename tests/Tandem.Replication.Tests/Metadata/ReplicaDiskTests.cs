using Tandem.Replication.Metadata;
using Tandem.Replication.Tests.Support;
using Tandem.Replication.Uuids;
using Xunit;

namespace Tandem.Replication.Tests.Metadata;

public sealed class ReplicaDiskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task New_metadata_attaches_Inconsistent_and_skipping_the_initial_sync_makes_a_durable_first_generation()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        Assert.Equal(DiskState.Inconsistent, f.Disk.State);

        await f.Disk.SkipInitialSyncAsync(Ct);

        Assert.Equal(DiskState.UpToDate, f.Disk.State);
        var again = await ReplicaMetadata.OpenAsync(f.Backing, null, Ct);
        Assert.NotEqual(GenerationUuids.JustCreated, GenerationUuids.Mask(again.Uuids.Current));
        Assert.Equal(0, again.Bitmap.Count);
        Assert.Equal(MetadataFlags.Consistent | MetadataFlags.WasUpToDate, again.Flags & (MetadataFlags.Consistent | MetadataFlags.WasUpToDate));
        Assert.Equal(DiskState.UpToDate, new ReplicaDisk(again, new Lock(), f.Events).State);
        var change = Assert.Single(f.Sink.Events, e => e.Kind == "volume.disk");
        Assert.Equal("UpToDate", change.Data!["new"]);
    }

    [Fact]
    public async Task A_resync_as_source_keeps_the_targets_generation_as_bitmap_uuid_until_it_finishes()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        await f.Disk.SkipInitialSyncAsync(Ct);
        var before = f.Metadata.Uuids.Current;
        await f.Metadata.UpdateAsync(u => u, fl => fl | MetadataFlags.PeerOutdated, Ct);

        await f.Disk.BeginSyncSourceAsync(Ct);
        Assert.Equal(before, f.Metadata.Uuids.Current);
        Assert.NotEqual(0UL, f.Metadata.Uuids.Bitmap);

        Assert.True(await f.Disk.FinishSyncSourceAsync(Ct)); // the peer had been outdated
        Assert.Equal(0UL, f.Metadata.Uuids.Bitmap);
        Assert.Equal(MetadataFlags.None, f.Metadata.Flags & MetadataFlags.PeerOutdated);
    }

    [Fact]
    public async Task A_resync_as_target_is_Inconsistent_until_done_then_takes_the_sources_uuids_without_the_primary_bit()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        var source = new GenerationUuids(0x1000_0000_0000_0011, 0, 0x2000, 0);

        await f.Disk.BeginSyncTargetAsync(source, Ct);
        Assert.Equal(DiskState.Inconsistent, f.Disk.State);
        Assert.Equal(MetadataFlags.None, f.Metadata.Flags & MetadataFlags.Consistent);

        await f.Disk.FinishSyncTargetAsync(source, "resync finished", Ct);
        Assert.Equal(DiskState.UpToDate, f.Disk.State);
        Assert.Equal(source with { Current = 0x1000_0000_0000_0010 }, f.Metadata.Uuids);
    }

    [Fact]
    public async Task Outdate_persists_for_consistent_data_and_leaves_worse_data_as_it_is()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        Assert.Equal(DiskState.Inconsistent, await f.Disk.OutdateAsync(f.Disk.State, Ct));

        await f.Disk.SkipInitialSyncAsync(Ct);
        Assert.Equal(DiskState.Outdated, await f.Disk.OutdateAsync(f.Disk.State, Ct));
        var again = await ReplicaMetadata.OpenAsync(f.Backing, null, Ct);
        Assert.Equal(DiskState.Outdated, new ReplicaDisk(again, new Lock(), f.Events).State);

        Assert.True(await f.Disk.InSyncWithUpToDatePeerAsync(Ct));
        Assert.Equal(DiskState.UpToDate, f.Disk.State);
        Assert.False(await f.Disk.InSyncWithUpToDatePeerAsync(Ct));
    }

    [Fact]
    public async Task Writing_without_the_peer_starts_one_new_generation_and_replicating_writes_none()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        await f.Disk.SkipInitialSyncAsync(Ct);
        var first = f.Metadata.Uuids;

        await f.Disk.EnsureGenerationAsync(replicating: true, Ct);
        Assert.Equal(first, f.Metadata.Uuids);

        await f.Disk.EnsureGenerationAsync(replicating: false, Ct);
        var second = f.Metadata.Uuids;
        Assert.Equal(GenerationUuids.Mask(first.Current), second.Bitmap);
        Assert.Equal(1UL, second.Current & 1);

        await f.Disk.EnsureGenerationAsync(replicating: false, Ct);
        Assert.Equal(second, f.Metadata.Uuids);
    }

    [Fact]
    public async Task Detach_goes_Failed_then_Diskless_once()
    {
        await using var f = await RoleFixture.CreateAsync(Ct);
        Assert.True(f.Disk.TryDetach("test error"));
        Assert.False(f.Disk.TryDetach("again"));
        Assert.False(f.Disk.Attached);
        Assert.Equal(DiskState.Diskless, f.Disk.State);
        Assert.Equal(["Failed", "Diskless"], f.Sink.Events.Where(e => e.Kind == "volume.disk").Select(e => e.Data!["new"]));
    }
}
