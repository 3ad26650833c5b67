namespace Tandem.Membership;

/// <summary>One configured heartbeat medium on this node.</summary>
/// <param name="Link">The link's name.</param>
/// <param name="Open">Whether it opened.</param>
/// <param name="SendErrors">Send errors (no route, interface down); null when not open.</param>
/// <param name="Error">Why it did not open; null when open.</param>
public sealed record LinkSnapshot(
    string Link,
    bool Open,
    long? SendErrors,
    string? Error);
