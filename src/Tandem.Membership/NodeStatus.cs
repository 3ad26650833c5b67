namespace Tandem.Membership;

/// <summary>A node's state as this node sees it (Heartbeat's init, up, active, dead).</summary>
public enum NodeStatus : byte
{
    /// <summary>Not heard from yet.</summary>
    Init = 1,
    /// <summary>Heard from; the node itself is not yet in contact with every member.</summary>
    Up = 2,
    /// <summary>Heard from, and the node reports contact with every member.</summary>
    Active = 3,
    /// <summary>Every link to it has been silent for deadtime (initdead before it was first heard).</summary>
    Dead = 4,
}
