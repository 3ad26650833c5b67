namespace Tandem.Replication;

/// <summary>What a protocol A Primary does when the link to the peer is congested (DRBD's <c>on-congestion</c>, drbd.md §4.5).</summary>
public enum CongestionPolicy
{
    /// <summary>Wait: writes slow down to the speed of the link (the default).</summary>
    Block,

    /// <summary>Go Ahead: stop sending data, mark it out of sync, and resync when the congestion clears.</summary>
    PullAhead,

    /// <summary>Drop the connection (and reconnect).</summary>
    Disconnect,
}
