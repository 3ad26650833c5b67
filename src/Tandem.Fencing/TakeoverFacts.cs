namespace Tandem.Fencing;

/// <summary>What is known about a peer that is gone, as <see cref="TakeoverRule"/> needs it.</summary>
/// <param name="LeftCleanly">It announced its departure after releasing what it ran.</param>
/// <param name="FencedSinceSilent">A fencing of it succeeded after it went silent.</param>
/// <param name="FencingDisabled">The configuration runs the cluster without fencing.</param>
/// <param name="CanFence">A fence device usable from this node can fence it (and the caller may use it).</param>
public readonly record struct TakeoverFacts(bool LeftCleanly, bool FencedSinceSilent, bool FencingDisabled, bool CanFence);
