using Tandem.Replication.Protocol;
using Tandem.Replication.Writes;
using Xunit;

namespace Tandem.Replication.Tests.Writes;

/// <summary>The transfer log's epochs and barrier acks (drbd.md §1.2), without a connection.</summary>
public sealed class TransferLogTests
{
    [Fact]
    public void An_empty_epoch_is_never_closed_and_a_closed_one_announces_its_writes()
    {
        var log = new TransferLog();
        Assert.Null(log.Close());
        var first = log.CurrentEpoch;
        log.Add(0, 4096);
        log.Add(8192, 4096);
        Assert.Equal((first, 2u), log.Close());
        Assert.Equal(first + 1, log.CurrentEpoch);
        Assert.Equal(0, log.OpenEpochWrites);
        Assert.Equal(first, log.LastClosed()!.Number);
        Assert.Equal(2, log.Count);
        Assert.Equal(8192, log.Bytes);
    }

    [Fact]
    public void A_barrier_ack_retires_the_oldest_epoch_and_its_writes_and_a_wrong_one_is_a_protocol_error()
    {
        var log = new TransferLog();
        var a = log.Add(0, 4096);
        var (n1, size1) = log.Close()!.Value;
        var b = log.Add(4096, 4096);
        var (n2, _) = log.Close()!.Value;
        Assert.Throws<ProtocolException>(() => log.Acknowledge(n2, 1)); // out of order
        Assert.Throws<ProtocolException>(() => log.Acknowledge(n1, 2)); // wrong size
        var epoch = log.Acknowledge(n1, size1);
        Assert.Equal([a], epoch.Requests);
        Assert.Null(log.Find(a.Id));
        Assert.Same(b, log.Find(b.Id));
        Assert.Equal(4096, log.Bytes);
    }

    [Fact]
    public void Clearing_after_a_lost_peer_returns_every_epoch_and_opens_a_fresh_one()
    {
        var log = new TransferLog();
        log.Add(0, 4096);
        log.Close();
        log.Add(4096, 4096);
        log.CloseRequested = true;
        var before = log.CurrentEpoch;
        var all = log.Clear();
        Assert.Equal(2, all.Sum(e => e.Requests.Count));
        Assert.Equal(0, log.Count);
        Assert.Equal(0, log.Bytes);
        Assert.False(log.CloseRequested);
        Assert.Equal(before + 1, log.CurrentEpoch);
        Assert.Null(log.LastClosed());
    }
}
