namespace Tandem.Lab;

/// <summary>A wait of the lab reached its deadline; the message names what was awaited and what was seen.</summary>
public sealed class LabTimeoutException : LabException
{
    /// <summary>Creates the exception.</summary>
    public LabTimeoutException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The whole message.</param>
    public LabTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="innerException">The cause.</param>
    public LabTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a wait that expired.</summary>
    /// <param name="what">What was awaited, as a phrase: "bravo to declare alpha dead".</param>
    /// <param name="timeout">How long it was awaited.</param>
    /// <param name="seen">What was seen meanwhile (events, output), or null.</param>
    public LabTimeoutException(string what, TimeSpan timeout, string? seen)
        : base(LabWait.Describe(what, timeout) + (string.IsNullOrEmpty(seen) ? "" : "\n" + seen))
    {
        What = what;
        Timeout = timeout;
    }

    /// <summary>What was awaited, or null when the exception was made from a whole message.</summary>
    public string? What { get; }

    /// <summary>How long it was awaited.</summary>
    public TimeSpan Timeout { get; }
}
