namespace Tandem.Resources.Placement;

/// <summary>The placement commands an operator gives (Heartbeat's hb_standby, hb_takeover; failback).</summary>
public enum OperatorCommandKind
{
    /// <summary><c>tandem standby</c>: hand the set's groups that run here to the peer.</summary>
    Standby,

    /// <summary><c>tandem takeover</c>: run the set's groups here (also clears a failed or blocked group).</summary>
    Takeover,

    /// <summary><c>tandem failback</c>: every group to its preferred node.</summary>
    Failback,
}
