namespace Tandem.Daemon.Control;

/// <summary>The optional body of <c>POST /v1/volumes/{name}/{action}</c> for the replication commands.</summary>
/// <param name="Force">primary: make this node's data current whatever its state.</param>
/// <param name="DiscardMyData">connect: on split brain this node is the victim.</param>
/// <param name="ClearBitmap">new-current-uuid: skip the initial sync of a new, empty pair.</param>
/// <param name="ResyncFromHere">verify: resync the blocks found different with this node as the source.</param>
/// <param name="Size">resize: the new size in bytes (null: the most the backing allows).</param>
/// <param name="AssumeClean">resize: do not resync the grown area.</param>
public sealed record VolumeActionRequest(bool? Force = null, bool? DiscardMyData = null, bool? ClearBitmap = null, bool? ResyncFromHere = null,
    long? Size = null, bool? AssumeClean = null);
