using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Nbd.Tls;

namespace Tandem.Nbd;

/// <summary>
/// An NBD server (fixed newstyle) for one or more exports, on a Unix socket and optionally on TCP.
/// Each connection is independent: one receive loop, one send loop, a bounded number of requests
/// and bytes in flight; a misbehaving client loses its own connection and nothing else.
/// </summary>
public sealed class NbdServer : IAsyncDisposable
{
    private readonly NbdServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<long, (NbdConnection Connection, Task Task)> _connections = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly CancellationTokenSource _cts = new();
    private long _nextId;
    private int _state; // 0 new, 1 running, 2 stopped

    /// <summary>Creates a server; call <see cref="StartAsync"/> to listen.</summary>
    /// <param name="exports">The exports; the first is the default (empty name). At least one.</param>
    /// <param name="options">Where to listen and per-client limits.</param>
    /// <param name="logger">The logger, or null.</param>
    /// <param name="timeProvider">The clock, or null for the system clock.</param>
    public NbdServer(IReadOnlyList<NbdExport> exports, NbdServerOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(exports);
        ArgumentNullException.ThrowIfNull(options);
        if (exports.Count == 0)
        {
            throw new ArgumentException("at least one export is needed", nameof(exports));
        }
        if (options.SocketPath is null && options.TcpEndPoint is null)
        {
            throw new ArgumentException("a socket path or a TCP endpoint is needed", nameof(options));
        }
        if (options.TcpEndPoint is not null && options.Tls is null && !options.AllowPlainTcp)
        {
            throw new ArgumentException("a TCP listener needs TLS, or the explicit insecure opt-in (AllowPlainTcp)", nameof(options));
        }
        Exports = exports;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Tls = options.Tls is { } tls ? new NbdTlsHandshake(tls) : null;
    }

    /// <summary>Raised when a client connects (before negotiation).</summary>
    public event Action<NbdClientInfo>? ClientConnected;

    /// <summary>Raised when a client's connection ends, with the reason.</summary>
    public event Action<NbdClientInfo, string>? ClientDisconnected;

    /// <summary>The exports served.</summary>
    public IReadOnlyList<NbdExport> Exports { get; }

    /// <summary>The Unix socket path, or null.</summary>
    public string? SocketPath => _options.SocketPath;

    /// <summary>The TCP endpoint actually bound (with the real port when 0 was asked), or null.</summary>
    public IPEndPoint? TcpEndPoint { get; private set; }

    /// <summary>What the Unix socket did with its connections.</summary>
    public NbdListenerCounters UnixCounters { get; } = new();

    /// <summary>What the TCP listener did with its connections.</summary>
    public NbdListenerCounters TcpCounters { get; } = new();

    /// <summary>The connections open now on one listener.</summary>
    /// <param name="tcp">TCP, else the Unix socket.</param>
    /// <returns>The count.</returns>
    public int ConnectionCount(bool tcp) => _connections.Values.Count(c => c.Connection.IsTcp == tcp);

    /// <summary>The clients connected now.</summary>
    public IReadOnlyList<NbdClientInfo> Clients => [.. _connections.Values.Select(c => c.Connection.Info).OrderBy(c => c.Id)];

    /// <summary>Binds the listeners and starts accepting.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>Completes when listening.</returns>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("the server was already started");
        }
        try
        {
            if (_options.SocketPath is { } path)
            {
                PrepareSocketPath(path);
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                _listeners.Add(unix);
                unix.Bind(new UnixDomainSocketEndPoint(path));
                // NBD has no authentication: only root (the daemon's user) may connect.
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
                unix.Listen(64);
            }
            if (_options.TcpEndPoint is { } endPoint)
            {
                var tcp = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _listeners.Add(tcp);
                tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Bind(endPoint);
                tcp.Listen(64);
                TcpEndPoint = (IPEndPoint)tcp.LocalEndPoint!;
            }
        }
        catch
        {
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }
            _listeners.Clear();
            throw;
        }
        foreach (var listener in _listeners)
        {
            _acceptLoops.Add(AcceptLoopAsync(listener, _cts.Token));
        }
        _acceptLoops.Add(IdleSweepLoopAsync(_cts.Token));
        Log.ServerStarted(_logger, Exports[0].Name, string.Join(", ",
            new[] { _options.SocketPath, TcpEndPoint is null ? null : TcpEndPoint + (Tls is null ? " (TCP, plain: no TLS)" : " (TCP, TLS required)") }.Where(e => e is not null)));
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, answers or fails what is in flight (bounded by the shutdown grace), closes every connection.</summary>
    /// <param name="cancellationToken">Cancels the wait (connections are still aborted).</param>
    /// <returns>Completes when every connection is closed.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }
        await _cts.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        await Task.WhenAll(_acceptLoops).WaitAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_connections.Values.Select(c => c.Task)).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_options.SocketPath is { } path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Someone else's now, or already gone.
            }
        }
        Log.ServerStopped(_logger, Exports[0].Name);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _cts.Dispose();
    }

    /// <summary>The TLS handshake for TCP connections, or null when TCP is plain (or absent).</summary>
    internal NbdTlsHandshake? Tls { get; }

    internal long Timestamp() => _timeProvider.GetTimestamp();

    internal NbdListenerCounters CountersFor(bool tcp) => tcp ? TcpCounters : UnixCounters;

    internal NbdExport? FindExport(string name)
    {
        if (name.Length == 0)
        {
            return Exports[0];
        }
        foreach (var export in Exports)
        {
            if (string.Equals(export.Name, name, StringComparison.Ordinal))
            {
                return export;
            }
        }
        return null;
    }

    internal void OnConnectionClosed(NbdConnection connection, string reason)
    {
        _connections.TryRemove(connection.Id, out _);
        Log.ClientDisconnected(_logger, connection.Id, reason);
        ClientDisconnected?.Invoke(connection.Info, reason);
    }

    private bool TryEvict(bool tcp)
    {
        var now = _timeProvider.GetTimestamp();
        NbdConnection? victim = null;
        foreach (var (connection, _) in _connections.Values)
        {
            if (connection.IsTcp != tcp || connection.Closing)
            {
                continue;
            }
            var evictable = !connection.Negotiated
                || _timeProvider.GetElapsedTime(connection.LastActivity, now) >= _options.EvictIdleAfter;
            if (!evictable)
            {
                continue;
            }
            // Not negotiated before negotiated, then the longest idle.
            if (victim is null
                || (victim.Negotiated && !connection.Negotiated)
                || (victim.Negotiated == connection.Negotiated && connection.LastActivity < victim.LastActivity))
            {
                victim = connection;
            }
        }
        if (victim is null || !victim.Close(victim.Negotiated ? "evicted: idle while the listener was full" : "evicted: still negotiating while the listener was full"))
        {
            return false;
        }
        CountersFor(tcp).CountEvicted();
        return true;
    }

    private async Task IdleSweepLoopAsync(CancellationToken cancellationToken)
    {
        var tcp = _options.TcpIdleTimeout;
        var unix = _options.UnixIdleTimeout;
        if (tcp == Timeout.InfiniteTimeSpan && unix == Timeout.InfiniteTimeSpan)
        {
            return;
        }
        var shortest = tcp == Timeout.InfiniteTimeSpan ? unix : unix == Timeout.InfiniteTimeSpan ? tcp : TimeSpan.FromTicks(Math.Min(tcp.Ticks, unix.Ticks));
        // A quarter of the timeout between looks: a connection is closed at most 25 % late.
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond * 10)), _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = _timeProvider.GetTimestamp();
                foreach (var (connection, _) in _connections.Values)
                {
                    var limit = connection.IsTcp ? tcp : unix;
                    if (limit != Timeout.InfiniteTimeSpan && connection.Negotiated && !connection.Closing
                        && _timeProvider.GetElapsedTime(connection.LastActivity, now) >= limit
                        && connection.Close($"idle for more than {limit.TotalSeconds:0.#} s"))
                    {
                        CountersFor(connection.IsTcp).CountIdleTimeout();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void PrepareSocketPath(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        if (!File.Exists(path))
        {
            return;
        }
        // A socket file left by a dead server refuses connections; a live one accepts. Only the
        // dead one may be replaced, or two servers would fight over one export.
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
            Log.StaleSocketRemoved(_logger, path);
            return;
        }
        throw new IOException($"{path} is in use by a running NBD server");
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                // Transient (EMFILE, ECONNABORTED): keep the export up rather than stop serving.
                Log.AcceptFailed(_logger, Exports[0].Name, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(100), _timeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var isTcp = socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;
            var counters = CountersFor(isTcp);
            // Each listener has its own slots (issue #18 item 3): a TCP flood never takes the Unix
            // socket's, and a full listener makes room by evicting a connection that is still
            // negotiating (oldest first) or one negotiated but idle, before it refuses.
            var limit = isTcp ? _options.MaxTcpConnections : _options.MaxUnixConnections;
            var open = _connections.Values.Count(c => c.Connection.IsTcp == isTcp && !c.Connection.Closing);
            if (open >= limit && !TryEvict(isTcp))
            {
                counters.CountRefused();
                Log.TooManyConnections(_logger, Exports[0].Name, open);
                socket.Dispose();
                continue;
            }
            counters.CountAccepted();
            var remote = socket.RemoteEndPoint is IPEndPoint ip ? ip.ToString() : "unix";
            if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                socket.NoDelay = true;
            }
            var id = Interlocked.Increment(ref _nextId);
            var connection = new NbdConnection(this, socket, id, remote, _timeProvider.GetUtcNow(), _options, _logger, cancellationToken);
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // The connection's task is registered before it runs, so that its removal on close
            // always finds it; RunAsync never throws.
            // LongRunning: the connection gets its own thread, on which its blocking socket calls
            // and synchronous volume calls run (see BlockingSocketStream).
            var task = Task.Factory.StartNew(async () =>
            {
                start.Task.Wait(CancellationToken.None);
                await connection.RunAsync().ConfigureAwait(false);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            _connections[id] = (connection, task);
            Log.ClientConnected(_logger, id, remote);
            ClientConnected?.Invoke(connection.Info);
            start.SetResult();
        }
    }
}
