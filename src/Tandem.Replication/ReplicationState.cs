namespace Tandem.Replication;

/// <summary>The replication state towards the peer (DRBD 9's per-peer-device state).</summary>
public enum ReplicationState
{
    /// <summary>Not connected.</summary>
    Off,

    /// <summary>Bitmaps are being exchanged (WFBitMapS/T).</summary>
    WaitingForBitmap,

    /// <summary>Connected and in sync; writes are replicated.</summary>
    Established,

    /// <summary>This node sends the out-of-sync blocks.</summary>
    SyncSource,

    /// <summary>This node receives the out-of-sync blocks.</summary>
    SyncTarget,

    /// <summary>Congested (on-congestion pull-ahead): writes are only marked out of sync for the peer; a resync follows when the congestion clears.</summary>
    Ahead,

    /// <summary>The peer is Ahead: this node's data is consistent but stale until the resync.</summary>
    Behind,
}
