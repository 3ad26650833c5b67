namespace Tandem.Replication.Uuids;

/// <summary>What a connection does after the sync handshake.</summary>
public enum SyncAction
{
    /// <summary>Nothing to sync: Connected (Established).</summary>
    None,

    /// <summary>This node sends the differing blocks (SyncSource).</summary>
    Source,

    /// <summary>This node receives the differing blocks (SyncTarget).</summary>
    Target,

    /// <summary>Refuse and go StandAlone (split brain unresolved, unrelated data, or a refused direction).</summary>
    Disconnect,
}
