using Tandem.Replication.Metadata;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Hostile;

/// <summary>
/// Issue #18 item 6: after a restart a replica whose backing had been truncated reconnected
/// UpToDate. Its metadata now says how large the backing was; a smaller one makes it Inconsistent.
/// </summary>
public sealed class ShrunkBackingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_backing_smaller_than_the_metadata_says_is_inconsistent_and_needs_a_full_sync()
    {
        var meta = new MemoryVolume(1 << 20);
        var md = await ReplicaMetadata.CreateAsync(new MemoryVolume(8 << 20), meta, 67, false, Ct);
        await md.UpdateAsync(u => u, f => f | MetadataFlags.Consistent | MetadataFlags.WasUpToDate, Ct);

        var same = await ReplicaMetadata.OpenAsync(new MemoryVolume(8 << 20), meta, Ct);
        Assert.False(same.BackingShrank);
        Assert.NotEqual(MetadataFlags.None, same.Flags & MetadataFlags.Consistent);

        var shrunk = await ReplicaMetadata.OpenAsync(new MemoryVolume(2 << 20), meta, Ct);
        Assert.True(shrunk.BackingShrank);
        Assert.Equal(MetadataFlags.None, shrunk.Flags & (MetadataFlags.Consistent | MetadataFlags.WasUpToDate));
        Assert.NotEqual(MetadataFlags.None, shrunk.Flags & MetadataFlags.FullSync);
    }
}
