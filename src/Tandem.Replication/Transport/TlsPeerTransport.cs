using Tandem.Replication.Protocol;

namespace Tandem.Replication.Transport;

/// <summary>
/// TLS over another transport (DRBD 9.2's <c>tls yes</c>): every connection is authenticated by
/// <see cref="PeerTls"/> before the peer protocol starts, the accepting side as the TLS server.
/// The TLS handshake has its own deadline (the accept or dial wait does not bound it) and ends
/// when the transport is disposed.
/// </summary>
internal sealed class TlsPeerTransport(IPeerTransport inner, PeerTls tls, TimeSpan handshakeTimeout) : IPeerTransport
{
    private readonly CancellationTokenSource _stop = new();

    /// <inheritdoc />
    public void Start() => inner.Start();

    /// <inheritdoc />
    public async ValueTask<Stream> AcceptAsync(CancellationToken cancellationToken) =>
        await SecureAsync(await inner.AcceptAsync(cancellationToken).ConfigureAwait(false), server: true).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) =>
        await SecureAsync(await inner.ConnectAsync(cancellationToken).ConfigureAwait(false), server: false).ConfigureAwait(false);

    private async Task<Stream> SecureAsync(Stream stream, bool server)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(handshakeTimeout);
        return await tls.AuthenticateAsync(stream, server, timeout.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await inner.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
