namespace Tandem.Membership.Messaging;

/// <summary>A message received on the cluster channel.</summary>
/// <param name="From">The sender's node name.</param>
/// <param name="Generation">The sender's generation when it sent it.</param>
/// <param name="Sequence">Its position in the sender's stream to this node (from 1 per generation pair).</param>
/// <param name="Payload">The message.</param>
public sealed record ClusterMessage(string From, ulong Generation, ulong Sequence, ReadOnlyMemory<byte> Payload);
