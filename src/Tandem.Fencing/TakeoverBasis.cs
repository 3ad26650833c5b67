namespace Tandem.Fencing;

/// <summary>Why a takeover of a peer's groups is, or is not, allowed.</summary>
public enum TakeoverBasis
{
    /// <summary>The peer told us it left and released its groups.</summary>
    LeftCleanly,
    /// <summary>The peer was fenced successfully.</summary>
    Fenced,
    /// <summary>The configuration runs without fencing: allowed, with a loud warning.</summary>
    FencingDisabled,
    /// <summary>Not allowed: every device failed until the deadline.</summary>
    FenceFailed,
    /// <summary>Not allowed: no configured device can fence the peer from this node.</summary>
    NoDevice,
}
