using Tandem.Replication.Transport;
using Xunit;

namespace Tandem.Replication.Tests.Transport;

/// <summary>The in-memory wire's controls: what a simulation relies on.</summary>
public sealed class InMemoryPeerLinkTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(Stream Client, Stream Server)> ConnectAsync(InMemoryPeerLink link)
    {
        var client = await link.First.ConnectAsync(Ct);
        var server = await link.Second.AcceptAsync(Ct).AsTask().WaitAsync(Deadline, Ct);
        return (client, server);
    }

    private static async Task<byte[]> ReadAsync(Stream s, int count)
    {
        var buffer = new byte[count];
        await s.ReadExactlyAsync(buffer, Ct).AsTask().WaitAsync(Deadline, Ct);
        return buffer;
    }

    [Fact]
    public async Task A_dial_to_a_transport_that_does_not_listen_is_refused_and_one_that_listens_carries_bytes_both_ways()
    {
        var link = new InMemoryPeerLink();
        await Assert.ThrowsAsync<IOException>(async () => await link.First.ConnectAsync(Ct));
        link.Second.Start();
        var (client, server) = await ConnectAsync(link);
        await client.WriteAsync(new byte[] { 1, 2, 3 }, Ct);
        Assert.Equal(new byte[] { 1, 2, 3 }, await ReadAsync(server, 3));
        await server.WriteAsync(new byte[] { 4 }, Ct);
        Assert.Equal(new byte[] { 4 }, await ReadAsync(client, 1));
        await client.DisposeAsync();
        Assert.Equal(0, await server.ReadAsync(new byte[1], Ct).AsTask().WaitAsync(Deadline, Ct));
        Assert.Equal(1, link.ConnectionsMade);
    }

    [Fact]
    public async Task A_cut_fails_both_ends_and_refuses_dials_until_restored()
    {
        var link = new InMemoryPeerLink();
        link.Second.Start();
        var (client, server) = await ConnectAsync(link);
        var pending = server.ReadAsync(new byte[1], Ct).AsTask();
        link.Cut();
        await Assert.ThrowsAsync<IOException>(() => pending.WaitAsync(Deadline, Ct));
        await Assert.ThrowsAsync<IOException>(async () => await client.WriteAsync(new byte[1], Ct));
        await Assert.ThrowsAsync<IOException>(async () => await link.First.ConnectAsync(Ct));
        link.Restore();
        var (again, _) = await ConnectAsync(link);
        Assert.NotNull(again);
        Assert.Equal(2, link.ConnectionsMade);
    }

    [Fact]
    public async Task A_pause_holds_the_bytes_and_a_resume_delivers_them_in_order()
    {
        var link = new InMemoryPeerLink();
        link.Second.Start();
        var (client, server) = await ConnectAsync(link);
        link.Pause();
        await client.WriteAsync(new byte[] { 7, 8 }, Ct);
        var read = ReadAsync(server, 2);
        // Nothing can arrive while paused: the read is still waiting after the write completed.
        Assert.False(read.IsCompleted);
        link.Resume();
        Assert.Equal(new byte[] { 7, 8 }, await read);
    }

    [Fact]
    public async Task A_full_direction_makes_the_writer_wait_until_the_reader_takes_bytes()
    {
        var link = new InMemoryPeerLink(capacity: 16);
        link.Second.Start();
        var (client, server) = await ConnectAsync(link);
        await client.WriteAsync(new byte[16], Ct);
        var blocked = client.WriteAsync(new byte[] { 9 }, Ct).AsTask();
        Assert.False(blocked.IsCompleted);
        await ReadAsync(server, 16);
        await blocked.WaitAsync(Deadline, Ct);
        Assert.Equal(new byte[] { 9 }, await ReadAsync(server, 1));
    }

    [Fact]
    public async Task A_drop_fails_the_connection_and_the_next_dial_succeeds()
    {
        var link = new InMemoryPeerLink();
        link.Second.Start();
        var (client, _) = await ConnectAsync(link);
        link.Drop();
        await Assert.ThrowsAsync<IOException>(async () => await client.WriteAsync(new byte[1], Ct));
        var (again, _) = await ConnectAsync(link);
        await again.WriteAsync(new byte[1], Ct);
    }
}
