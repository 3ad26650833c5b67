namespace Tandem.Replication;

/// <summary>The <c>replication</c> status section: one entry per replicated volume.</summary>
/// <param name="Volumes">The volumes.</param>
public sealed record ReplicationStatus(
    IReadOnlyList<ReplicaStatus> Volumes);
