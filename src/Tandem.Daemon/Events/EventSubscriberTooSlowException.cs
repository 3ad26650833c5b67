namespace Tandem.Daemon.Events;

/// <summary>An event follower fell too far behind and was disconnected.</summary>
public sealed class EventSubscriberTooSlowException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="limit">How many events may be pending.</param>
    public EventSubscriberTooSlowException(int limit)
        : base($"the follower fell more than {limit} events behind and was disconnected; reconnect with --since to resume")
    {
    }

    /// <summary>Creates the exception.</summary>
    public EventSubscriberTooSlowException()
        : base("the follower fell too far behind and was disconnected")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public EventSubscriberTooSlowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
