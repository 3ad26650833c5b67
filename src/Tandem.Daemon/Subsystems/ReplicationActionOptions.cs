namespace Tandem.Daemon.Subsystems;

/// <summary>The flags of a replication command.</summary>
/// <param name="Force">primary: make this node's data current whatever its state; resize: allow shrinking.</param>
/// <param name="DiscardMyData">connect: on split brain, this node is the victim.</param>
/// <param name="ClearBitmap">new-current-uuid: skip the initial sync.</param>
/// <param name="ResyncFromHere">verify: resync the differences found with this node as the source.</param>
/// <param name="Size">resize: the new size in bytes, or null for the most this node's backing allows.</param>
/// <param name="AssumeClean">resize: do not resync the grown area (both backings hold the same bytes there).</param>
internal sealed record ReplicationActionOptions(bool Force = false, bool DiscardMyData = false, bool ClearBitmap = false, bool ResyncFromHere = false,
    long? Size = null, bool AssumeClean = false);
