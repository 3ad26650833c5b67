namespace Tandem.Nbd.Attach;

/// <summary>Attaching or detaching failed; the message says which step and what the tool printed.</summary>
public sealed class AttachException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    public AttachException(string message) : base(message)
    {
    }
}
