namespace Tandem.Resources.Placement;

/// <summary>A placement message that cannot be decoded (another protocol version, a bad length).</summary>
public sealed class PlacementProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong with the message.</param>
    public PlacementProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public PlacementProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public PlacementProtocolException()
        : base("invalid placement message")
    {
    }
}
