using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Tandem.Replication.Protocol;

/// <summary>
/// Optional TLS for the peer connection (DRBD 9.2's <c>tls yes</c>), mutual: the dialing node is
/// the TLS client, the accepting node the server, and each presents its certificate. A peer
/// certificate is accepted when it is one of the trusted certificates (pinned) or chains to one of
/// them; host names are not checked (the peer is known by its configured address).
/// </summary>
internal sealed class PeerTls
{
    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection _trust;

    private PeerTls(X509Certificate2 certificate, X509Certificate2Collection trust)
    {
        _certificate = certificate;
        _trust = trust;
    }

    /// <summary>Loads the PEM files of the options; null when TLS is off.</summary>
    public static PeerTls? Create(ReplicatedVolumeOptions options)
    {
        if (options.TlsCertificate is not { } certificatePath)
        {
            return null;
        }
        var certificate = X509Certificate2.CreateFromPemFile(certificatePath, options.TlsPrivateKey);
        var trust = new X509Certificate2Collection();
        trust.ImportFromPemFile(options.TlsTrust ?? certificatePath);
        return new PeerTls(certificate, trust);
    }

    /// <summary>Runs the TLS handshake over a connected socket stream.</summary>
    /// <exception cref="ProtocolException">The handshake failed on a certificate or protocol (the connection is not authenticated).</exception>
    public async Task<Stream> AuthenticateAsync(Stream inner, bool server, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false, Validate);
        try
        {
            if (server)
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = Protocols,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "tandem-peer",
                    ClientCertificates = [_certificate],
                    EnabledSslProtocols = Protocols,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, cancellationToken).ConfigureAwait(false);
            }
            return ssl;
        }
        catch (AuthenticationException ex)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            // Not authenticated: the volume drops and counts it, and keeps waiting for its peer.
            throw new ProtocolException("TLS handshake with the peer failed: no trusted certificate, or no TLS (both nodes need tls, and each must trust the other's certificate)", ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }
        var peer = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        foreach (var trusted in _trust)
        {
            if (trusted.RawDataMemory.Span.SequenceEqual(peer.RawDataMemory.Span))
            {
                return true;
            }
        }
        using var build = new X509Chain();
        build.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        build.ChainPolicy.CustomTrustStore.AddRange(_trust);
        build.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return build.Build(peer);
    }
}
