namespace Tandem.Resources.Placement;

/// <summary>A placement message from a node, as the cluster channel delivered it (authenticated and in order).</summary>
/// <param name="From">The sender.</param>
/// <param name="Generation">The sender's run (incarnation).</param>
/// <param name="Payload">The encoded <see cref="PlacementMessage"/>.</param>
public sealed record PeerMessageReceived(string From, ulong Generation, ReadOnlyMemory<byte> Payload) : PlacementInput;
