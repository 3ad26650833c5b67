namespace Tandem.Nbd;

/// <summary>One listener of an export in status: how many connections are open and what it did with the rest.</summary>
/// <param name="Open">Connections open now.</param>
/// <param name="Accepted">Connections accepted and served.</param>
/// <param name="Refused">Connections refused because the listener was full.</param>
/// <param name="Evicted">Connections closed to make room for a new one.</param>
/// <param name="HandshakeTimeouts">Connections closed because negotiation took too long.</param>
/// <param name="IdleTimeouts">Negotiated connections closed because they stayed idle.</param>
/// <param name="TlsRequired">Options refused because the client had not started TLS on a listener that requires it.</param>
public sealed record NbdListenerStatus(int Open, long Accepted, long Refused, long Evicted, long HandshakeTimeouts, long IdleTimeouts, long TlsRequired = 0)
{
    /// <summary>The status of a listener from its counters and its open connections.</summary>
    /// <param name="counters">The listener's counters.</param>
    /// <param name="open">Its open connections.</param>
    /// <returns>The status.</returns>
    public static NbdListenerStatus From(NbdListenerCounters counters, int open) =>
        new(open, counters.Accepted, counters.Refused, counters.Evicted, counters.HandshakeTimeouts, counters.IdleTimeouts, counters.TlsRequired);
}
