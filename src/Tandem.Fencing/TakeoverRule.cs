namespace Tandem.Fencing;

/// <summary>
/// The one takeover rule of the cluster: what a gone peer ran (groups, a volume's primary role)
/// may be taken over only when the peer left cleanly, was fenced, or the configuration runs
/// without fencing. Pure: the fencing coordinator (placement's takeovers) and the volumes'
/// fence-peer hook both ask it, and then carry out its answer.
/// </summary>
public static class TakeoverRule
{
    /// <summary>Decides from what is known.</summary>
    /// <param name="facts">What is known about the peer.</param>
    /// <returns>Allow (with the basis), fence first, or refuse.</returns>
    public static TakeoverRuling Decide(TakeoverFacts facts)
    {
        // The order matters: a clean departure or a fencing already done needs no warning, and
        // "fencing disabled" must not hide a device that could have made the takeover safe only
        // when there is none to use (the configuration said: no fencing).
        if (facts.LeftCleanly)
        {
            return new TakeoverRuling(TakeoverStep.Allow, TakeoverBasis.LeftCleanly);
        }
        if (facts.FencedSinceSilent)
        {
            return new TakeoverRuling(TakeoverStep.Allow, TakeoverBasis.Fenced);
        }
        if (facts.FencingDisabled)
        {
            return new TakeoverRuling(TakeoverStep.Allow, TakeoverBasis.FencingDisabled);
        }
        return facts.CanFence
            ? new TakeoverRuling(TakeoverStep.FenceFirst, TakeoverBasis.Fenced)
            : new TakeoverRuling(TakeoverStep.Refuse, TakeoverBasis.NoDevice);
    }
}
