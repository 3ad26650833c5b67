namespace Tandem.Membership.Messaging;

/// <summary>
/// A message was addressed to an earlier run of a node that has since restarted: it will never be
/// acknowledged, and the caller decides whether to send it again to the new run.
/// </summary>
public sealed class PeerRestartedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerRestartedException() { }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public PeerRestartedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="inner">The cause.</param>
    public PeerRestartedException(string message, Exception inner) : base(message, inner) { }
}
