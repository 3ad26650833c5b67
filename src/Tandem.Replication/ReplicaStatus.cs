namespace Tandem.Replication;

/// <summary>
/// A replicated volume's state for <c>tandem status</c> (the spirit of /proc/drbd). The volume fills
/// what it knows; the daemon adds <see cref="State"/> and <see cref="Verify"/>, or only a state and
/// a reason when the volume is not up.
/// </summary>
public sealed record ReplicaStatus
{
    /// <summary>The state a volume without a peer reports: it serves its local backing.</summary>
    public const string NotReplicated = "none";

    /// <summary>The resource name (r0).</summary>
    public required string Resource { get; init; }

    /// <summary>up, down, ... as the daemon sees the volume; <see cref="NotReplicated"/> for a volume without a peer.</summary>
    public string? State { get; init; }

    /// <summary>Why it is not up, when it is not.</summary>
    public string? Reason { get; init; }

    /// <summary>This node's role (Primary, Secondary).</summary>
    public string? Role { get; init; }

    /// <summary>The peer's role (Unknown when not connected).</summary>
    public string? PeerRole { get; init; }

    /// <summary>This node's disk state (UpToDate, Inconsistent, ...).</summary>
    public string? Disk { get; init; }

    /// <summary>The peer's disk state (DUnknown when not connected).</summary>
    public string? PeerDisk { get; init; }

    /// <summary>The connection state (StandAlone, Connecting, Connected).</summary>
    public string? Connection { get; init; }

    /// <summary>The replication state (Established, SyncSource, SyncTarget, ...).</summary>
    public string? Replication { get; init; }

    /// <summary>The protocol (A, B, C).</summary>
    public string? Protocol { get; init; }

    /// <summary>flush or drain.</summary>
    public string? WriteOrdering { get; init; }

    /// <summary>The replicated size in bytes.</summary>
    public long? Size { get; init; }

    /// <summary>Bytes marked out of sync in the bitmap.</summary>
    public long? OutOfSyncBytes { get; init; }

    /// <summary>Bytes sent to the peer since the volume was opened.</summary>
    public long? SentBytes { get; init; }

    /// <summary>The generation UUIDs (current:bitmap:history).</summary>
    public string? Uuids { get; init; }

    /// <summary>True while I/O is frozen (suspend-io, waiting for fencing).</summary>
    public bool? IoFrozen { get; init; }

    /// <summary>True when the metadata marks the peer outdated.</summary>
    public bool? PeerOutdated { get; init; }

    /// <summary>The running resync, if any.</summary>
    public ResyncStatus? Sync { get; init; }

    /// <summary>running while an online verify runs.</summary>
    public string? Verify { get; init; }
}
