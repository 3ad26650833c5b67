namespace Tandem.Membership.Wire;

/// <summary>Why a received packet was dropped; <see cref="None"/> means it was accepted.</summary>
public enum RejectReason
{
    /// <summary>Accepted.</summary>
    None = 0,
    /// <summary>Shorter than its header or than the lengths it declares.</summary>
    Truncated,
    /// <summary>Longer than the largest packet, or longer than the lengths it declares.</summary>
    Oversized,
    /// <summary>Does not start with the Tandem membership magic (not ours at all).</summary>
    BadMagic,
    /// <summary>A format version this node does not speak.</summary>
    UnknownVersion,
    /// <summary>A packet type this node does not know.</summary>
    UnknownType,
    /// <summary>Another cluster's packet (the cluster id differs).</summary>
    OtherCluster,
    /// <summary>The key index is not in this node's authkeys.</summary>
    UnknownKey,
    /// <summary>The sender is not a member of the cluster.</summary>
    UnknownNode,
    /// <summary>The MAC does not match: forged, corrupted, or signed with another key.</summary>
    BadMac,
    /// <summary>The sender's generation is older than one already seen: a replay of an earlier run.</summary>
    OlderGeneration,
    /// <summary>A sequence number already accepted on this link.</summary>
    Replayed,
    /// <summary>A sequence number below the replay window.</summary>
    Stale,
    /// <summary>This node's own packet, looped back by broadcast or multicast (dropped, not an attack).</summary>
    FromSelf,
}
