namespace Tandem.Daemon.Subsystems;

/// <summary>The flags of a replication command.</summary>
/// <param name="Force">primary: make this node's data current whatever its state.</param>
/// <param name="DiscardMyData">connect: on split brain, this node is the victim.</param>
/// <param name="ClearBitmap">new-current-uuid: skip the initial sync.</param>
/// <param name="ResyncFromHere">verify: resync the differences found with this node as the source.</param>
internal sealed record ReplicationActionOptions(bool Force = false, bool DiscardMyData = false, bool ClearBitmap = false, bool ResyncFromHere = false);
