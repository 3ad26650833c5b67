namespace Tandem.Daemon.Status;

/// <summary>What a replication command (<c>tandem volume primary r0</c>, ...) did, and the volumes' state afterwards.</summary>
/// <param name="Name">The volume or resource named.</param>
/// <param name="Action">The command (primary, new-current-uuid, ...).</param>
/// <param name="Message">What was done, one sentence per volume.</param>
/// <param name="Volumes">The volumes afterwards.</param>
public sealed record ReplicationActionResult(
    string Name,
    string Action,
    string Message,
    IReadOnlyList<VolumeStatus> Volumes);
