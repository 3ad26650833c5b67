namespace Tandem.Resources.Placement;

/// <summary>What follows a stop the engine asked for.</summary>
public enum AfterStop
{
    /// <summary>Release the group to the peer (a <see cref="PlacementMessageType.Released"/> message).</summary>
    Release,

    /// <summary>Leave it to the peer, which runs it too (the dual-active rule).</summary>
    YieldToPeer,

    /// <summary>Start it here again (an operator cleared a failed stop with <c>tandem takeover</c>).</summary>
    StartHere,

    /// <summary>Keep it stopped here (this node shuts down).</summary>
    Hold,
}
