namespace Tandem.Replication.Protocol;

/// <summary>The peer broke the protocol, or the handshake failed; the message says what to do.</summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause, or null.</param>
    public ProtocolException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
