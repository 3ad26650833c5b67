namespace Tandem.Nbd;

/// <summary>
/// What one listener (the Unix socket or TCP) of an <see cref="NbdServer"/> did with its
/// connections, for status (issue #18 item 3). Every count only grows.
/// </summary>
public sealed class NbdListenerCounters
{
    private long _accepted;
    private long _refused;
    private long _evicted;
    private long _handshakeTimeouts;
    private long _idleTimeouts;
    private long _tlsRequired;

    /// <summary>Connections accepted and served.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Connections closed at once because the listener was full and none could be evicted.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Connections closed to make room for a new one (not negotiated, or negotiated and idle).</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Connections closed because negotiation did not finish within the handshake timeout.</summary>
    public long HandshakeTimeouts => Interlocked.Read(ref _handshakeTimeouts);

    /// <summary>Negotiated connections closed because no request came within the idle timeout.</summary>
    public long IdleTimeouts => Interlocked.Read(ref _idleTimeouts);

    /// <summary>Options refused with NBD_REP_ERR_TLS_REQD (or an EXPORT_NAME dropped) because the client had not started TLS.</summary>
    public long TlsRequired => Interlocked.Read(ref _tlsRequired);

    internal void CountAccepted() => Interlocked.Increment(ref _accepted);

    internal void CountRefused() => Interlocked.Increment(ref _refused);

    internal void CountEvicted() => Interlocked.Increment(ref _evicted);

    internal void CountHandshakeTimeout() => Interlocked.Increment(ref _handshakeTimeouts);

    internal void CountIdleTimeout() => Interlocked.Increment(ref _idleTimeouts);

    internal void CountTlsRequired() => Interlocked.Increment(ref _tlsRequired);
}
