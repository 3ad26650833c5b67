namespace Tandem.Membership.Detection;

/// <summary>One peer as this node sees it, as of a snapshot (cl_status nodestatus and linkstatus).</summary>
/// <param name="Node">The peer's name.</param>
/// <param name="Status">Its state.</param>
/// <param name="Generation">Its generation, 0 if never heard.</param>
/// <param name="Late">True while its heartbeats are later than warntime.</param>
/// <param name="SinceLastHeard">Time since its last heartbeat on any link, or null if never heard.</param>
/// <param name="Links">Its links.</param>
public sealed record PeerView(string Node, NodeStatus Status, ulong Generation, bool Late, TimeSpan? SinceLastHeard, IReadOnlyList<LinkView> Links);
