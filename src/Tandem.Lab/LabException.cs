namespace Tandem.Lab;

/// <summary>A step of a lab run did not happen (a process did not start, a node did not stop); the message says which.</summary>
public class LabException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LabException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What did not happen, in words for the person running the lab.</param>
    public LabException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What did not happen.</param>
    /// <param name="innerException">The cause.</param>
    public LabException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
