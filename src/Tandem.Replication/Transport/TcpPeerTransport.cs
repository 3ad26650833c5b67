using System.Net;
using System.Net.Sockets;

namespace Tandem.Replication.Transport;

/// <summary>
/// The peer connection over TCP: a listener on the volume's listen address, and a dialer to the
/// peer's address. Its streams are <see cref="NetworkStream"/>s over blocking sockets with Nagle
/// off, which the peer connection reads and writes on its own threads (docs/replication.md, "How
/// the write path runs").
/// </summary>
/// <param name="listen">The address to listen on.</param>
/// <param name="peer">The peer's address.</param>
public sealed class TcpPeerTransport(IPEndPoint listen, IPEndPoint peer) : IPeerTransport
{
    private readonly TcpListener _listener = new(listen);

    /// <inheritdoc />
    public void Start() => _listener.Start();

    /// <inheritdoc />
    public async ValueTask<Stream> AcceptAsync(CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            // An accept begun after the listener stopped fails with "not listening".
            throw new ObjectDisposedException("the replication listener is stopped", ex);
        }
        socket.NoDelay = true;
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <inheritdoc />
    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(peer.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await DialAsync(socket, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        socket.NoDelay = true;
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>
    /// Connects without the runtime's asynchronous socket machinery: a non-blocking connect(2)
    /// and poll(2) for its end (a loopback or LAN connect is usually done at the first poll). ConnectAsync would register the socket with the epoll thread for
    /// good, and each later packet would then cost an epoll wake-up and a thread-pool work item,
    /// though the session reads it by blocking on its own thread (PeerConnection.ReceiveAsync).
    /// </summary>
    private async Task DialAsync(Socket socket, CancellationToken cancellationToken)
    {
        socket.Blocking = false;
        try
        {
            socket.Connect(peer);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // Under way: wait for it below.
        }
        // Writable means connected or failed. Polled on a short real-time tick (not the volume's
        // clock: this is not protocol timing, and the attempt's token bounds the whole wait).
        while (!socket.Poll(TimeSpan.Zero, SelectMode.SelectWrite))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken).ConfigureAwait(false);
        }
        var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }
        socket.Blocking = true;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
