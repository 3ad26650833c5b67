namespace Tandem.Resources.Placement;

/// <summary>Where a group is in the placement protocol, as this node's engine sees it (one state per group).</summary>
public enum PlacementState
{
    /// <summary>Not known yet who runs it: waiting for the peer's state (initial placement).</summary>
    Undecided,

    /// <summary>The peer holds it: it runs there, or the peer (its preferred node) starts it.</summary>
    Peer,

    /// <summary>A start runs here (and a stop may be due when it ends: a request came meanwhile).</summary>
    Starting,

    /// <summary>It runs here.</summary>
    Running,

    /// <summary>It runs here and goes back to the peer (auto_failback on) once the peer's copies of its volumes are UpToDate.</summary>
    FailbackPending,

    /// <summary>A stop runs here; what follows (release to the peer, yield to it, start again, stay stopped) is the state's plan.</summary>
    Stopping,

    /// <summary>This node holds it and it is stopped (this node shuts down, or it yielded to a peer that is gone meanwhile).</summary>
    Stopped,

    /// <summary>It failed here and cannot run on the peer either (failed there too, or no peer is up): down until an operator acts.</summary>
    Failed,

    /// <summary>The peer is gone and may have run it: waiting for the takeover rule (fencing) before it starts here.</summary>
    AwaitingTakeover,

    /// <summary>A stop failed here; the peer was asked to fence this node and take it over.</summary>
    StopFailed,

    /// <summary>
    /// A stop failed (on the node named by <see cref="GroupPlacement.BlockedOn"/>) and that node
    /// cannot be fenced: it may still run there, so it is started nowhere until an operator acts
    /// (<c>tandem takeover</c>, or <c>tandem fence confirm</c> for a node that is gone).
    /// </summary>
    Blocked,
}
