namespace Tandem.Core.Membership;

/// <summary>A peer's membership as a decision needs it: alive, dead after silence, or gone after announcing its departure.</summary>
public enum MemberStatus
{
    /// <summary>Not heard from yet (initdead has not passed).</summary>
    Unknown,

    /// <summary>Heard from; it is not yet in contact with every member.</summary>
    Up,

    /// <summary>Heard from, and in contact with every member.</summary>
    Active,

    /// <summary>Every link to it was silent for deadtime (initdead before it was first heard): it may still run what it ran.</summary>
    Dead,

    /// <summary>It announced its shutdown: it left the cluster cleanly, which is not a failure.</summary>
    Left,
}
