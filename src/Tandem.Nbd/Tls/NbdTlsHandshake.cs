using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tandem.Core.Model;

namespace Tandem.Nbd.Tls;

/// <summary>
/// The server side of the TLS handshake after NBD_OPT_STARTTLS: TLS 1.2 or 1.3, the server's
/// certificate, and the client's checked against <see cref="NbdTlsOptions.ClientTrust"/> (equal
/// to a trusted certificate, or chaining to one; no host name, no revocation check).
/// </summary>
internal sealed class NbdTlsHandshake
{
    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;
    private static readonly Oid s_clientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly NbdTlsOptions _options;
    private readonly SslStreamCertificateContext _context;

    public NbdTlsHandshake(NbdTlsOptions options)
    {
        _options = options;
        _context = SslStreamCertificateContext.Create(options.Certificate, options.Intermediates, offline: true);
    }

    /// <summary>Runs the handshake over the connection's socket stream.</summary>
    /// <returns>The TLS stream (it does not own <paramref name="inner"/>).</returns>
    /// <exception cref="NbdProtocolException">The handshake failed (the reason, for the log and the disconnect event).</exception>
    public async Task<SslStream> AuthenticateAsync(Stream inner, CancellationToken cancellationToken)
    {
        string? refused = null;
        var ssl = new SslStream(inner, leaveInnerStreamOpen: true, (_, certificate, chain, _) =>
        {
            refused = Check(certificate as X509Certificate2 ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())), chain);
            return refused is null;
        });
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _context,
                ClientCertificateRequired = _options.ClientCertificates != NbdClientCertificates.None,
                EnabledSslProtocols = Protocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                AllowRenegotiation = false,
            }, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (AuthenticationException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new NbdProtocolException(refused is not null
                ? "TLS handshake refused: " + refused
                : "TLS handshake failed: the client gave up (does it trust the server's certificate?) or shares no TLS 1.2/1.3 cipher with the server");
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <returns>Why the client's certificate is refused, or null when it is accepted.</returns>
    private string? Check(X509Certificate2? client, X509Chain? chain)
    {
        if (client is null)
        {
            return _options.ClientCertificates == NbdClientCertificates.Required
                ? "the client presented no certificate, and nbd_tls_verify_client is \"required\""
                : null;
        }
        if (_options.ClientCertificates == NbdClientCertificates.None)
        {
            return null; // not asked for, not looked at
        }
        foreach (var trusted in _options.ClientTrust)
        {
            if (trusted.RawDataMemory.Span.SequenceEqual(client.RawDataMemory.Span))
            {
                return null; // pinned
            }
        }
        using var build = new X509Chain();
        build.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        build.ChainPolicy.CustomTrustStore.AddRange(_options.ClientTrust);
        build.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        build.ChainPolicy.ApplicationPolicy.Add(s_clientAuthentication);
        if (chain is not null)
        {
            build.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }
        return build.Build(client)
            ? null
            : $"the client's certificate ({client.Subject}) does not chain to a certificate in nbd_tls_client_ca, or is expired or not for client authentication";
    }
}
