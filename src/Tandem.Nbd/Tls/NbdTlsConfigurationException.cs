namespace Tandem.Nbd.Tls;

/// <summary>The NBD TLS files cannot be used; the message says which file and what it must be.</summary>
public sealed class NbdTlsConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to do, for the operator.</param>
    public NbdTlsConfigurationException(string message) : base(message)
    {
    }
}
