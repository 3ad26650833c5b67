namespace Tandem.Daemon.Status;

/// <summary>One entry of the <c>links</c> status section: a configured medium and its state towards every peer (cl_status linkstatus).</summary>
/// <param name="Name">The link.</param>
/// <param name="Open">Whether it opened.</param>
/// <param name="Error">Why it did not open.</param>
/// <param name="Peers">Each peer's state on it (up, dead); empty when not open.</param>
/// <param name="SendErrors">Send errors so far.</param>
public sealed record HeartbeatLinkStatus(
    string Name,
    bool Open,
    string? Error,
    IReadOnlyDictionary<string, string> Peers,
    long? SendErrors);
