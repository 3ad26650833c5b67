namespace Tandem.Nbd;

/// <summary>The client broke the protocol in a way that leaves no reply to give: the connection is dropped.</summary>
public sealed class NbdProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What the client did.</param>
    public NbdProtocolException(string message) : base(message)
    {
    }
}
