namespace Tandem.Core.Model;

/// <summary>Whether TLS clients of the NBD server must present a certificate.</summary>
public enum NbdClientCertificates
{
    /// <summary>No client certificate is asked for: any client that completes TLS may use the export.</summary>
    None,

    /// <summary>A client may present a certificate; when it does, it must chain to (or be) a trusted one.</summary>
    Optional,

    /// <summary>A client must present a certificate that chains to (or is) a trusted one.</summary>
    Required,
}
