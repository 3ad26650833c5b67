namespace Tandem.Core.Model;

/// <summary>
/// TLS for a node's NBD TCP listener (native <c>[[node]] nbd_tls_*</c>): required on that
/// listener, X.509 only (TLS-PSK is not available in .NET's TLS stack).
/// </summary>
/// <param name="Certificate">The server certificate (PEM), optionally followed by intermediates, and its key when <see cref="Key"/> is null.</param>
public sealed record NbdTlsSpec(string Certificate)
{
    /// <summary>The private key (PEM), or null when <see cref="Certificate"/> holds it.</summary>
    public string? Key { get; init; }

    /// <summary>The CA (or pinned client certificates) client certificates are checked against (PEM), or null.</summary>
    public string? ClientCa { get; init; }

    /// <summary>Whether clients must present a certificate.</summary>
    /// <value>
    /// <see cref="NbdClientCertificates.None"/>; the native reader makes it
    /// <see cref="NbdClientCertificates.Required"/> when nbd_tls_client_ca is set without nbd_tls_verify_client.
    /// </value>
    public NbdClientCertificates VerifyClient { get; init; }
}
