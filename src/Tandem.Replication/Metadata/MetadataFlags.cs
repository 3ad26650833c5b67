namespace Tandem.Replication.Metadata;

/// <summary>Persistent state flags of a replica (DRBD's MDF_* bits, drbd.md §2.2).</summary>
[Flags]
public enum MetadataFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>The data is consistent (disk state above Inconsistent).</summary>
    Consistent = 1 << 0,

    /// <summary>The node is Primary now; found set at open, it means the Primary crashed.</summary>
    PrimaryIndicator = 1 << 1,

    /// <summary>The node was connected to its peer when the flags were written.</summary>
    ConnectedIndicator = 1 << 2,

    /// <summary>Every bitmap bit is to be set at the next attach (a full sync is pending).</summary>
    FullSync = 1 << 3,

    /// <summary>The data was UpToDate (disk state above Outdated).</summary>
    WasUpToDate = 1 << 4,

    /// <summary>The peer was marked outdated (fenced) while this node was Primary.</summary>
    PeerOutdated = 1 << 5,

    /// <summary>The node crashed while Primary; the activity log was applied to the bitmap.</summary>
    CrashedPrimary = 1 << 6,

    /// <summary>The activity log was cleanly closed (nothing to apply).</summary>
    ActivityLogClean = 1 << 7,
}
