using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Tandem.Testing;

namespace Tandem.Nbd.Tests.Hostile;

/// <summary>
/// Issue #18 item 3: 1 000 idle TCP connections took every slot, shared by TCP and the Unix socket,
/// and every legitimate client was refused until the attacker let go. Now each listener has its
/// own slots, a full listener evicts a connection that is still negotiating (or negotiated and
/// idle), negotiated TCP connections time out when idle, and status counts all of it.
/// </summary>
public sealed class ConnectionExhaustionTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private static async Task<Socket> ConnectAsync(EndPoint endPoint, CancellationToken ct)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, ct);
        return socket;
    }

    private static async Task DisposeAllAsync(IEnumerable<Socket> sockets)
    {
        foreach (var s in sockets)
        {
            s.Dispose();
        }
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_thousand_silent_connections_leave_room_for_a_client_on_each_listener()
    {
        ExternalTool.RequireOrSkip("nbdinfo");
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(options: new NbdServerOptions { TcpEndPoint = new IPEndPoint(IPAddress.Loopback, 0), AllowPlainTcp = true });
        var tcp = server.Server.TcpEndPoint!;
        var attackers = new List<Socket>();
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                attackers.Add(await ConnectAsync(tcp, ct));
            }
            // Silent Unix connections too, fewer than its backlog (a Unix connect fails with EAGAIN
            // when the backlog is full, which would test the kernel, not the server).
            for (var i = 0; i < 60; i++)
            {
                attackers.Add(await ConnectAsync(new UnixDomainSocketEndPoint(server.SocketPath), ct));
            }

            await ExternalTool.RunOkAsync("nbdinfo", $"nbd://127.0.0.1:{tcp.Port}/test");
            await ExternalTool.RunOkAsync("nbdinfo", server.Uri("test"));

            var t = server.Server.TcpCounters;
            Assert.True(t.Accepted >= 1001, $"{t.Accepted} TCP connections accepted");
            Assert.True(t.Evicted >= 1001 - 64, $"{t.Evicted} TCP connections evicted");
            Assert.Equal(0, t.Refused);
            Assert.True(server.Server.ConnectionCount(tcp: true) <= 64 + 1);
            Assert.True(server.Server.UnixCounters.Accepted >= 61);
        }
        finally
        {
            await DisposeAllAsync(attackers);
        }
    }

    [Fact]
    public async Task Negotiated_idle_tcp_connections_time_out_and_never_starve_the_unix_socket()
    {
        ExternalTool.RequireOrSkip("nbdinfo");
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(options: new NbdServerOptions
        {
            TcpEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            AllowPlainTcp = true,
            TcpIdleTimeout = TimeSpan.FromSeconds(3), // longer than the 64 negotiations take on a loaded machine
            EvictIdleAfter = TimeSpan.FromMinutes(10), // only the idle timeout may free the slots here
        });
        var tcp = server.Server.TcpEndPoint!;
        var idleClosed = 0;
        var allIdleClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var negotiatedCount = 0;
        server.Server.ClientDisconnected += (_, reason) =>
        {
            if (reason.StartsWith("idle for", StringComparison.Ordinal) && Interlocked.Increment(ref idleClosed) >= Volatile.Read(ref negotiatedCount) && negotiatedCount > 0)
            {
                allIdleClosed.TrySetResult();
            }
        };
        var attackers = new List<Socket>();
        try
        {
            // 64 negotiate (EXPORT_NAME) and then say nothing; every later one is refused while they hold.
            var negotiated = 0;
            for (var i = 0; i < 1000; i++)
            {
                var s = await ConnectAsync(tcp, ct);
                attackers.Add(s);
                if (negotiated < 64 && await TryNegotiateAsync(s, ct))
                {
                    negotiated++;
                }
            }
            Assert.Equal(64, negotiated);
            // Refused while the 64 held their slots (once the first idle timeouts fire, later ones get in).
            Assert.True(server.Server.TcpCounters.Refused > 0, "no TCP connection was refused while 64 negotiated ones held every slot");

            // The Unix socket has its own slots: root's client gets in at once.
            await ExternalTool.RunOkAsync("nbdinfo", server.Uri("test"));

            Volatile.Write(ref negotiatedCount, negotiated);
            if (Volatile.Read(ref idleClosed) >= negotiated)
            {
                allIdleClosed.TrySetResult();
            }
            await allIdleClosed.Task.WithinAsync(s_wait, "the 64 idle negotiated TCP connections to be closed by the idle timeout");
            await ExternalTool.RunOkAsync("nbdinfo", $"nbd://127.0.0.1:{tcp.Port}/test");
            Assert.Equal(64, server.Server.TcpCounters.IdleTimeouts);
        }
        finally
        {
            await DisposeAllAsync(attackers);
        }
    }

    /// <summary>Fixed newstyle, NBD_OPT_EXPORT_NAME "test"; true when the export's size came back.</summary>
    private static async Task<bool> TryNegotiateAsync(Socket s, CancellationToken ct)
    {
        var greeting = new byte[18];
        if (!await ReadExactAsync(s, greeting, ct))
        {
            return false;
        }
        var request = new byte[4 + 16 + 4];
        BinaryPrimitives.WriteUInt32BigEndian(request, 3); // FIXED_NEWSTYLE | NO_ZEROES
        BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(4), 0x49484156454F5054); // IHAVEOPT
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(12), 1); // EXPORT_NAME
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(16), 4);
        "test"u8.CopyTo(request.AsSpan(20));
        await s.SendAsync(request, ct);
        return await ReadExactAsync(s, new byte[10], ct);
    }

    private static async Task<bool> ReadExactAsync(Socket s, byte[] buffer, CancellationToken ct)
    {
        var got = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            while (got < buffer.Length)
            {
                var n = await s.ReceiveAsync(buffer.AsMemory(got), timeout.Token);
                if (n == 0)
                {
                    return false;
                }
                got += n;
            }
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
