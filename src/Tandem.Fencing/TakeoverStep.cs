namespace Tandem.Fencing;

/// <summary>What <see cref="TakeoverRule"/> says to do about a peer that is gone.</summary>
public enum TakeoverStep
{
    /// <summary>Take over now (the ruling's basis says why).</summary>
    Allow,

    /// <summary>Fence the peer first; take over only if that succeeds.</summary>
    FenceFirst,

    /// <summary>Do not take over: nothing can make sure the peer is off.</summary>
    Refuse,
}
