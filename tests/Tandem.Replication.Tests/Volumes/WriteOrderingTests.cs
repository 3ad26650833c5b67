using System.Security.Cryptography;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>disk-flushes: a Secondary flushes its backing for every epoch ("flush"), or only drains
/// it ("drain", for backings whose cache survives power loss).</summary>
public sealed class WriteOrderingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_secondary_flushes_each_epoch_only_with_disk_flushes(bool diskFlushes)
    {
        await using var c = await Cluster.SyncedAsync(tweak: o => o with { DiskFlushes = diskFlushes });
        Assert.Equal(diskFlushes ? "flush" : "drain", c.B.Volume.GetStatus().WriteOrdering);
        var before = Volatile.Read(ref c.B.Faulty.Flushes);
        for (var i = 0; i < 20; i++)
        {
            await c.A.Volume.WriteAsync(i * 4096L, RandomNumberGenerator.GetBytes(4096), false, Ct);
            await c.A.Volume.FlushAsync(Ct); // closes the epoch: a barrier the Secondary acknowledges
        }
        var flushes = Volatile.Read(ref c.B.Faulty.Flushes) - before;
        if (diskFlushes)
        {
            Assert.True(flushes >= 20, $"{flushes} flushes on the Secondary for 20 epochs");
        }
        else
        {
            Assert.Equal(0, flushes);
        }
        await c.WaitSyncedAsync();
        Assert.Equal(Cluster.Hash(c.A, c.A.Volume.Size), Cluster.Hash(c.B, c.A.Volume.Size));
    }
}
