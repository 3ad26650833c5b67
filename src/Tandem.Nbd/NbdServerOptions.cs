using System.Net;
using Tandem.Nbd.Tls;

namespace Tandem.Nbd;

/// <summary>Where an <see cref="NbdServer"/> listens and how much it lets one client use.</summary>
public sealed record NbdServerOptions
{
    /// <summary>The Unix socket path (the daemon uses RUN_DIR/nbd/&lt;resource&gt;.sock), or null.</summary>
    public string? SocketPath { get; init; }

    /// <summary>
    /// A TCP address to listen on as well, or null. It needs <see cref="Tls"/>, or
    /// <see cref="AllowPlainTcp"/> (the operator's explicit insecure opt-in): plain NBD has no
    /// authentication, so anyone who can connect may read and write the export (issue #18 item 4).
    /// </summary>
    public IPEndPoint? TcpEndPoint { get; init; }

    /// <summary>
    /// TLS for the TCP listener, required there when set (NBD_OPT_STARTTLS; a client that does not
    /// start TLS gets NBD_REP_ERR_TLS_REQD and never reaches an export). The Unix socket never uses
    /// TLS: its file mode (0600, root) is its access control.
    /// </summary>
    public NbdTlsOptions? Tls { get; init; }

    /// <summary>Serve plain NBD on <see cref="TcpEndPoint"/> without <see cref="Tls"/>: the insecure opt-in.</summary>
    /// <value>False: a TCP listener without TLS is refused at start.</value>
    public bool AllowPlainTcp { get; init; }

    /// <summary>The most requests one connection may have in flight; further requests wait in the socket.</summary>
    /// <value>64.</value>
    public int MaxInFlightRequests { get; init; } = 64;

    /// <summary>The most payload bytes (read replies and write data) one connection may hold.</summary>
    /// <value>64 MiB (at least one maximum-size request always fits).</value>
    public int MaxInFlightBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>The most bytes of one option request during negotiation; longer ones get NBD_REP_ERR_TOO_BIG.</summary>
    /// <value>64 KiB (the largest legal INFO/GO request is 4 KiB of name plus a few info types).</value>
    public int MaxOptionLength { get; init; } = 64 * 1024;

    /// <summary>
    /// How long a client may take to finish negotiation before it is dropped (the idle timeout
    /// before negotiation: a connection that sends nothing holds a slot this long at most).
    /// </summary>
    /// <value>10 seconds.</value>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a negotiated TCP connection may go without sending a request before it is closed;
    /// <see cref="Timeout.InfiniteTimeSpan"/> for never.
    /// </summary>
    /// <value>5 minutes.</value>
    /// <remarks>A client that stays connected while idle (a kernel NBD device) should use the Unix socket.</remarks>
    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The same for the Unix socket.</summary>
    /// <value>Never: the Unix socket is root's, and a block device attached to it may idle for days.</value>
    public TimeSpan UnixIdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long a negotiated connection must have been idle before a new connection to a full
    /// listener may evict it (connections still negotiating are evicted first, oldest first).
    /// </summary>
    /// <value>2 seconds.</value>
    public TimeSpan EvictIdleAfter { get; init; } = TimeSpan.FromSeconds(2);

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

    /// <summary>
    /// The most simultaneous connections on the Unix socket. Each listener has its own limit, so
    /// TCP clients can never take the Unix socket's slots (issue #18 item 3).
    /// </summary>
    /// <value>64.</value>
    public int MaxUnixConnections { get; init; } = 64;

    /// <summary>The most simultaneous connections on TCP; a new one evicts an idle one or is closed at once.</summary>
    /// <value>64.</value>
    public int MaxTcpConnections { get; init; } = 64;
}
