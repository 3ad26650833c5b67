namespace Tandem.Resources.Placement;

/// <summary>Who may run a group, as this node knows it: the token of the placement protocol.</summary>
public enum GroupHolder
{
    /// <summary>Not known yet (before the peer's first state, or for a new run of the peer).</summary>
    Unknown,

    /// <summary>This node: only the holder ever starts a group.</summary>
    Me,

    /// <summary>The peer (it runs the group, or is its preferred node and will start it).</summary>
    Peer,
}
