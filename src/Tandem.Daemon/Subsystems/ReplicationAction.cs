namespace Tandem.Daemon.Subsystems;

/// <summary>The replication commands of <c>tandem volume</c> that act on a running replica.</summary>
internal enum ReplicationAction
{
    /// <summary>Open the replica, connect it and export it (<c>tandem volume up</c>).</summary>
    Up,

    /// <summary>Demote, stop the export and close the replica (<c>tandem volume down</c>).</summary>
    Down,

    /// <summary>Promote (<c>tandem volume primary [--force]</c>).</summary>
    Primary,

    /// <summary>Demote (<c>tandem volume secondary</c>).</summary>
    Secondary,

    /// <summary>Leave StandAlone and connect (<c>tandem volume connect [--discard-my-data]</c>).</summary>
    Connect,

    /// <summary>Disconnect and stay StandAlone (<c>tandem volume disconnect</c>).</summary>
    Disconnect,

    /// <summary>Start an online verify (<c>tandem volume verify</c>).</summary>
    Verify,

    /// <summary>Discard the local data and resync it all from the peer (<c>tandem volume invalidate</c>).</summary>
    Invalidate,

    /// <summary>Skip the initial sync of a new pair (<c>tandem volume new-current-uuid --clear-bitmap</c>).</summary>
    NewCurrentUuid,

    /// <summary>Mark a disconnected Secondary's data Outdated (<c>tandem volume outdate</c>).</summary>
    Outdate,

    /// <summary>Thaw writes frozen by resource-and-stonith fencing (<c>tandem volume resume-io</c>).</summary>
    ResumeIo,

    /// <summary>Grow (or, forced, shrink) the volume on both nodes (<c>tandem volume resize</c>).</summary>
    Resize,
}
