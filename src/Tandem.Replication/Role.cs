namespace Tandem.Replication;

/// <summary>The role of a replica (drbd.md §0).</summary>
public enum Role : byte
{
    /// <summary>Not known (the peer while disconnected).</summary>
    Unknown,

    /// <summary>Receives replication; refuses application writes.</summary>
    Secondary,

    /// <summary>Serves application I/O and replicates it.</summary>
    Primary,
}
