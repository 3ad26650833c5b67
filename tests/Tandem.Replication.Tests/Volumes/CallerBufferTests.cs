using System.Security.Cryptography;
using Tandem.Core.Model;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Volumes;

/// <summary>
/// A replicated write's frame refers to the caller's buffer (no copy for the peer): the write must
/// not complete, even when cancelled, before the peer has the frame or the sender has stopped,
/// since the caller reuses its buffer the moment the write completes.
/// </summary>
public sealed class CallerBufferTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(ReplicationProtocol.C, false)]
    [InlineData(ReplicationProtocol.A, false)]
    [InlineData(ReplicationProtocol.C, true)]
    public async Task A_buffer_scribbled_the_moment_its_write_completes_never_reaches_the_peer(ReplicationProtocol protocol, bool cutWhilePaused)
    {
        await using var c = await Cluster.SyncedAsync(protocol, proxied: true, size: 64 << 20);
        var v = c.A.Volume;
        // Hold the network: the sender's socket buffers fill, and later frames wait in its queue.
        c.ToA!.Pause();
        c.ToB!.Pause();
        var writes = new List<Task>();
        var buffers = new List<byte[]>();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        for (var i = 0; i < 40; i++)
        {
            var data = RandomNumberGenerator.GetBytes(1 << 20);
            buffers.Add(data);
            // Every buffer is overwritten the moment its write completes (or fails), as a caller
            // that returns it to a pool would.
            var write = v.WriteAsync((long)i << 20, data, false, i >= 32 ? cancel.Token : Ct).AsTask();
            writes.Add(write.ContinueWith(_ => Array.Fill(data, (byte)0xEE), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
        }
        // Cancel the last eight while their frames are queued behind a full socket.
        await cancel.CancelAsync();
        if (cutWhilePaused)
        {
            // The connection is lost with frames still queued: the writes must still complete
            // (locally, into the bitmap) and the resync must make the replicas equal. (Whether they
            // complete before or after the sender stopped is not observable here: the cut closes
            // the socket first.)
            c.A.Volume.CutConnection();
        }
        c.ToA.Heal();
        c.ToB.Heal();
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await c.WaitSyncedAsync();
        await v.FlushAsync(Ct);
        Assert.Equal(Cluster.Hash(c.A, v.Size), Cluster.Hash(c.B, v.Size));
    }
}
