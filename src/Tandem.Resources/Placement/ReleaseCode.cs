namespace Tandem.Resources.Placement;

/// <summary>Why a group was released to the peer (the code of a <see cref="PlacementMessageType.Released"/> entry).</summary>
public enum ReleaseCode : byte
{
    /// <summary>An operator's standby, takeover or failback, or auto_failback.</summary>
    Handover = 0,

    /// <summary>The group failed to start on the sender.</summary>
    StartFailed = 1,

    /// <summary>A resource kept failing its monitor on the sender beyond the restart limit.</summary>
    MonitorFailed = 2,

    /// <summary>The sender is shutting down and stopped the group.</summary>
    Leaving = 3,

    /// <summary>The sender is shutting down but could not stop the group (it may still run there).</summary>
    NotReleased = 4,
}
