namespace Tandem.Daemon.Hosting;

/// <summary>The daemon cannot start; the message says why and what to do, for an operator.</summary>
public class DaemonStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the daemon cannot start.</param>
    public DaemonStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">Why the daemon cannot start.</param>
    /// <param name="innerException">The underlying failure.</param>
    public DaemonStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public DaemonStartException()
        : base("the daemon cannot start")
    {
    }
}
