using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tandem.Core.Model;

namespace Tandem.Nbd.Tls;

/// <summary>
/// TLS for the NBD server's TCP listener, as the NBD protocol defines it (NBD_OPT_STARTTLS, then the
/// TLS handshake, then option haggling inside TLS), with X.509 certificates. With these options
/// TLS is required on TCP: a client that does not start TLS gets NBD_REP_ERR_TLS_REQD for every
/// option and never reaches an export. TLS-PSK is not supported (.NET's SslStream has no PSK).
/// </summary>
public sealed record NbdTlsOptions
{
    /// <summary>The server's certificate, with its private key.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>Intermediate certificates sent with <see cref="Certificate"/> (from the same PEM file), or empty.</summary>
    public X509Certificate2Collection Intermediates { get; init; } = [];

    /// <summary>Whether clients must present a certificate.</summary>
    /// <value><see cref="NbdClientCertificates.None"/>.</value>
    public NbdClientCertificates ClientCertificates { get; init; }

    /// <summary>
    /// The certificates a client certificate must be, or chain to (a CA, or pinned client
    /// certificates); needed unless <see cref="ClientCertificates"/> is <see cref="NbdClientCertificates.None"/>.
    /// </summary>
    public X509Certificate2Collection ClientTrust { get; init; } = [];

    /// <summary>Loads the options from PEM files.</summary>
    /// <param name="certificatePath">The server certificate (PEM), optionally followed by intermediates, and its key when <paramref name="keyPath"/> is null.</param>
    /// <param name="keyPath">The private key (PEM), or null when the certificate file holds it.</param>
    /// <param name="clientCaPath">The trusted client certificates or CAs (PEM), or null.</param>
    /// <param name="clientCertificates">Whether clients must present a certificate.</param>
    /// <returns>The options.</returns>
    /// <exception cref="NbdTlsConfigurationException">A file is missing, unreadable or not what it should be; the message names it.</exception>
    public static NbdTlsOptions Load(string certificatePath, string? keyPath, string? clientCaPath, NbdClientCertificates clientCertificates)
    {
        ArgumentNullException.ThrowIfNull(certificatePath);
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new NbdTlsConfigurationException(
                $"cannot load the NBD TLS certificate {certificatePath}{(keyPath is null ? "" : $" with the key {keyPath}")}: "
                + "it must be a readable PEM certificate with its private key (in the same file or in nbd_tls_key)");
        }
        var intermediates = new X509Certificate2Collection();
        intermediates.ImportFromPemFile(certificatePath);
        for (var i = intermediates.Count - 1; i >= 0; i--)
        {
            if (intermediates[i].RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
            {
                intermediates.RemoveAt(i);
            }
        }
        var trust = new X509Certificate2Collection();
        if (clientCaPath is not null)
        {
            try
            {
                trust.ImportFromPemFile(clientCaPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new NbdTlsConfigurationException($"cannot read the trusted client certificates {clientCaPath}: it must be a readable PEM file of certificates");
            }
            if (trust.Count == 0)
            {
                throw new NbdTlsConfigurationException($"{clientCaPath} holds no PEM certificate; it should hold the CA (or the client certificates) that clients are checked against");
            }
        }
        else if (clientCertificates != NbdClientCertificates.None)
        {
            throw new NbdTlsConfigurationException("client certificates are checked, but no trusted client certificates are configured (nbd_tls_client_ca)");
        }
        return new NbdTlsOptions
        {
            Certificate = certificate,
            Intermediates = intermediates,
            ClientCertificates = clientCertificates,
            ClientTrust = trust,
        };
    }
}
