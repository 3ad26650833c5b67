using Tandem.Core.Model;

namespace Tandem.Resources.Placement;

/// <summary>What the <see cref="PlacementEngine"/> is configured with.</summary>
/// <param name="Me">This node.</param>
/// <param name="Peer">The other node of a two-node cluster; null when this node is alone.</param>
/// <param name="Groups">The groups, in configuration order.</param>
/// <param name="AutoFailback">What happens when a group's preferred node joins.</param>
/// <param name="FencingEnabled">False when the configuration runs without fencing: a stop that fails then blocks the group.</param>
public sealed record PlacementSettings(string Me, string? Peer, IReadOnlyList<GroupSpec> Groups, FailbackMode AutoFailback, bool FencingEnabled)
{
    /// <summary>How long a refused takeover waits before it asks the takeover rule again.</summary>
    public TimeSpan TakeoverRetry { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the peer's Leaving message may come after membership saw it leave, before the peer counts as failed.</summary>
    public TimeSpan LeftGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a deferred failback looks at the peer's copies of its volumes.</summary>
    public TimeSpan FailbackRecheck { get; init; } = TimeSpan.FromMilliseconds(250);
}
