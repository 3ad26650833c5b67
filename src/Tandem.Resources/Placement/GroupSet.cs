namespace Tandem.Resources.Placement;

/// <summary>Which groups an operator's standby or takeover names, relative to the node it runs on (Heartbeat's <c>rsc_hold</c>).</summary>
public enum GroupSet
{
    /// <summary>Every group.</summary>
    All,

    /// <summary>The groups whose preferred node is this node.</summary>
    Local,

    /// <summary>The groups whose preferred node is the peer.</summary>
    Foreign,
}
