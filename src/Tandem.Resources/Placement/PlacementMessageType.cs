namespace Tandem.Resources.Placement;

/// <summary>The kinds of placement messages two nodes exchange over the cluster channel.</summary>
public enum PlacementMessageType : byte
{
    /// <summary>
    /// What the sender runs: one entry per group with its <see cref="Resources.Groups.GroupState"/>.
    /// Sent at start, after every change, and again to each new run of the peer.
    /// </summary>
    State = 1,

    /// <summary>"Release these groups to me": the sender's takeover, failback or legacy auto_failback.</summary>
    Request = 2,

    /// <summary>
    /// "These groups are stopped here; start them": the receiver becomes their holder. Each entry's
    /// code is a <see cref="ReleaseCode"/>. Sent only after every listed group has stopped.
    /// </summary>
    Released = 3,

    /// <summary>
    /// The sender is shutting down: entries with <see cref="ReleaseCode.Leaving"/> were stopped,
    /// entries with <see cref="ReleaseCode.NotReleased"/> may still run there (their stop failed).
    /// </summary>
    Leaving = 4,

    /// <summary>A stop failed on the sender: the listed groups may still run there; fence the sender, then take them over.</summary>
    StopFailed = 5,
}
