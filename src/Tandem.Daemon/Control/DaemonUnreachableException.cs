namespace Tandem.Daemon.Control;

/// <summary>No daemon answers on a run directory; the message says why and what to do.</summary>
public sealed class DaemonUnreachableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the daemon cannot be reached.</param>
    public DaemonUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the daemon cannot be reached.</param>
    /// <param name="innerException">The underlying failure.</param>
    public DaemonUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public DaemonUnreachableException()
        : base("no daemon is answering")
    {
    }
}
