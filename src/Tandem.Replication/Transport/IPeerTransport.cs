namespace Tandem.Replication.Transport;

/// <summary>
/// How a replica reaches its peer: it listens for the peer's connection, accepts one, or dials
/// one, and each connection is a duplex byte stream that carries the peer protocol. The volume
/// decides which side dials (the node whose name sorts first); the transport only moves bytes.
/// Implementations: TCP (<see cref="TcpPeerTransport"/>), TLS over another transport (when the
/// options name a certificate), and in memory (<see cref="InMemoryPeerLink"/>: two replicas in one
/// process, with a controllable wire).
/// </summary>
/// <remarks>
/// A failed or cancelled attempt throws <see cref="IOException"/>, a
/// <see cref="System.Net.Sockets.SocketException"/> or <see cref="OperationCanceledException"/>: the
/// volume retries it. A <see cref="Protocol.ProtocolException"/> (a refused TLS handshake) is
/// not retried. The volume owns the transport it was given and disposes it when it stops.
/// </remarks>
public interface IPeerTransport : IAsyncDisposable
{
    /// <summary>Starts listening for the peer (binds the listen address); called once, when the volume opens.</summary>
    void Start();

    /// <summary>Waits for the peer's next connection.</summary>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>The connection's stream (the caller disposes it).</returns>
    ValueTask<Stream> AcceptAsync(CancellationToken cancellationToken);

    /// <summary>Dials the peer.</summary>
    /// <param name="cancellationToken">Ends the attempt.</param>
    /// <returns>The connection's stream (the caller disposes it).</returns>
    ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken);
}
