using System.Net;

namespace Tandem.Nbd;

/// <summary>Where an <see cref="NbdServer"/> listens and how much it lets one client use.</summary>
public sealed record NbdServerOptions
{
    /// <summary>The Unix socket path (the daemon uses RUN_DIR/nbd/&lt;resource&gt;.sock), or null.</summary>
    public string? SocketPath { get; init; }

    /// <summary>A TCP address to listen on as well, or null. Prefer loopback: NBD has no authentication.</summary>
    public IPEndPoint? TcpEndPoint { get; init; }

    /// <summary>The most requests one connection may have in flight; further requests wait in the socket.</summary>
    /// <value>64.</value>
    public int MaxInFlightRequests { get; init; } = 64;

    /// <summary>The most payload bytes (read replies and write data) one connection may hold.</summary>
    /// <value>64 MiB (at least one maximum-size request always fits).</value>
    public int MaxInFlightBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>The most bytes of one option request during negotiation; longer ones get NBD_REP_ERR_TOO_BIG.</summary>
    /// <value>64 KiB (the largest legal INFO/GO request is 4 KiB of name plus a few info types).</value>
    public int MaxOptionLength { get; init; } = 64 * 1024;

    /// <summary>How long a client may take to finish negotiation before it is dropped.</summary>
    /// <value>30 seconds.</value>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long stopping waits for in-flight requests and unsent replies before closing.</summary>
    /// <value>5 seconds.</value>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a connection's thread may poll its socket for the next request before it blocks.
    /// Spares a queue-depth-1 client the cost of waking the thread (about 20 µs per request on a
    /// virtual machine); adaptive, so an idle or slow client costs no polling, and only while at
    /// most one request of the connection is in flight. Zero turns it off.
    /// </summary>
    /// <value>50 µs.</value>
    public TimeSpan SpinBeforeBlocking { get; init; } = TimeSpan.FromMicroseconds(50);

    /// <summary>The most simultaneous connections; more are closed at once.</summary>
    /// <value>256.</value>
    public int MaxConnections { get; init; } = 256;
}
