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
}
