namespace Tandem.Core.Membership;

/// <summary>What changed for a peer in the view that reports it.</summary>
public enum MemberChange
{
    /// <summary>Nothing changed for this peer in this view.</summary>
    None,

    /// <summary>Heard for the first time.</summary>
    Joined,

    /// <summary>Reports contact with every member.</summary>
    BecameActive,

    /// <summary>Heard again after being declared dead, with the same generation: it was cut off, not dead.</summary>
    Returned,

    /// <summary>A new run of it (a higher generation), whether or not it was declared dead first.</summary>
    Restarted,

    /// <summary>Declared dead: every link silent for deadtime.</summary>
    Died,

    /// <summary>It announced its shutdown.</summary>
    Left,
}
