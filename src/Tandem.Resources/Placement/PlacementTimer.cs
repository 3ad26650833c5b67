namespace Tandem.Resources.Placement;

/// <summary>The engine's timers; each says which state it belongs to, so a timer that outlived its state is ignored.</summary>
public abstract record PlacementTimer
{
    /// <summary>Retry the takeover of <paramref name="Epoch"/> after a refusal.</summary>
    /// <param name="Epoch">The takeover.</param>
    public sealed record TakeoverRetry(int Epoch) : PlacementTimer;

    /// <summary>The peer's run <paramref name="Generation"/> left; its Leaving message had this long to arrive.</summary>
    /// <param name="Generation">The run that left.</param>
    public sealed record LeftGrace(ulong Generation) : PlacementTimer;

    /// <summary>Look again whether the peer's copies of a deferred failback's volumes are UpToDate.</summary>
    public sealed record FailbackRecheck : PlacementTimer;
}
