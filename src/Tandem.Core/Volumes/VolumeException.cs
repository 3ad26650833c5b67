namespace Tandem.Core.Volumes;

/// <summary>A volume operation failed for a reason the client should see.</summary>
public sealed class VolumeException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why it failed.</param>
    /// <param name="message">What failed, for the log.</param>
    /// <param name="innerException">The cause, or null.</param>
    public VolumeException(VolumeError error, string message, Exception? innerException = null)
        : base(message, innerException) => Error = error;

    /// <summary>Why it failed.</summary>
    public VolumeError Error { get; }
}
