namespace Tandem.Replication.Metadata;

/// <summary>Metadata is missing, damaged, or may not be created where asked.</summary>
public sealed class MetadataException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was found and what to do, in an operator's words.</param>
    /// <param name="innerException">The cause, or null.</param>
    public MetadataException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
