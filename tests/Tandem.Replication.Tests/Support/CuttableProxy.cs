using System.Net;
using System.Net.Sockets;

namespace Tandem.Replication.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of one node: it forwards connections, and can cut them all and
/// refuse new ones (a network partition) until healed.
/// </summary>
internal sealed class CuttableProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accept;
    private volatile bool _partitioned;
    private volatile bool _blackHole;
    private volatile TaskCompletionSource? _hold;

    public CuttableProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accept = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Cuts every connection and refuses new ones.</summary>
    public void Partition()
    {
        _partitioned = true;
        lock (_lock)
        {
            foreach (var s in _sockets)
            {
                s.Dispose();
            }
            _sockets.Clear();
        }
    }

    public void Heal()
    {
        _partitioned = false;
        _blackHole = false;
        _hold?.TrySetResult();
        _hold = null;
    }

    /// <summary>Keeps the connections open and holds what they carry until <see cref="Heal"/>
    /// (a congested network: the senders' socket buffers fill and their sends block).</summary>
    public void Pause() => _hold ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Keeps the connections open but stops forwarding (a frozen peer, a silent network).</summary>
    public void BlackHole() => _blackHole = true;

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                if (_partitioned)
                {
                    client.Dispose();
                    continue;
                }
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await server.ConnectAsync(_target, _stop.Token);
                }
                catch (SocketException)
                {
                    client.Dispose();
                    server.Dispose();
                    continue;
                }
                lock (_lock)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                }
                _ = PumpAsync(client, server, () => _blackHole, () => _hold?.Task);
                _ = PumpAsync(server, client, () => _blackHole, () => _hold?.Task);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, Func<bool> drop, Func<Task?> held)
    {
        var buffer = new byte[64 << 10];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    break;
                }
                if (held() is { } hold)
                {
                    await hold;
                }
                if (!drop())
                {
                    await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        from.Dispose();
        to.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Partition();
        await _accept;
    }
}
