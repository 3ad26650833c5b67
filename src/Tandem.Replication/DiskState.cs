namespace Tandem.Replication;

/// <summary>Disk states (drbd.md §0), ordered from worst to best as DRBD orders them.</summary>
public enum DiskState : byte
{
    /// <summary>No local disk.</summary>
    Diskless,

    /// <summary>The local disk failed and was detached.</summary>
    Failed,

    /// <summary>The peer's disk state is unknown (peer only).</summary>
    DUnknown,

    /// <summary>Being written by a resync (or never synced): must not be read as data.</summary>
    Inconsistent,

    /// <summary>Consistent but known to be older than the peer's: may not be promoted.</summary>
    Outdated,

    /// <summary>Consistent; whether it is the newest is not known yet.</summary>
    Consistent,

    /// <summary>Consistent and the newest.</summary>
    UpToDate,
}
