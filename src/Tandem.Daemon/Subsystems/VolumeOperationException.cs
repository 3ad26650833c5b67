namespace Tandem.Daemon.Subsystems;

/// <summary>An attach or detach was refused or failed; the message is for an operator.</summary>
public sealed class VolumeOperationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The cause, or null.</param>
    public VolumeOperationException(VolumeOperationError error, string message, Exception? innerException = null)
        : base(message, innerException) => Error = error;

    /// <summary>Creates the exception.</summary>
    public VolumeOperationException()
        : this(VolumeOperationError.Failed, "the volume operation failed")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public VolumeOperationException(string message)
        : this(VolumeOperationError.Failed, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public VolumeOperationException(string message, Exception innerException)
        : this(VolumeOperationError.Failed, message, innerException)
    {
    }

    /// <summary>Why.</summary>
    public VolumeOperationError Error { get; }
}
