namespace Tandem.Core.Membership;

/// <summary>
/// A snapshot of every peer's membership, published by the failure detector at each change. This
/// is what decisions read (placement, the volumes' fence-peer hook); the event log gets the same
/// changes as text, for operators, and is never an input to a decision.
/// </summary>
/// <param name="Version">Increases by one with each view a detector publishes, so a consumer can tell a newer view from an older one.</param>
/// <param name="Peers">Every peer, in configuration order.</param>
public sealed record MembershipView(long Version, IReadOnlyList<MemberView> Peers)
{
    /// <summary>The view before the detector starts: no peer heard yet.</summary>
    /// <param name="peers">The peers' names.</param>
    /// <returns>The view, version 0.</returns>
    public static MembershipView Initial(IEnumerable<string> peers) =>
        new(0, [.. peers.Select(p => new MemberView(p, MemberStatus.Unknown, 0, MemberChange.None, "not heard from yet"))]);

    /// <summary>One peer of the view.</summary>
    /// <param name="node">The peer's name (case-insensitive).</param>
    /// <returns>The peer, or null for a node that is not a peer.</returns>
    public MemberView? Find(string node) => Peers.FirstOrDefault(p => string.Equals(p.Node, node, StringComparison.OrdinalIgnoreCase));
}
