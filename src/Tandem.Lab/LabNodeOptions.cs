using Tandem.Core.Events;
using Tandem.Lab.Placement;

namespace Tandem.Lab;

/// <summary>How a node of the lab runs its daemon.</summary>
/// <param name="Name">The node's name (its <c>--node</c>).</param>
/// <param name="Home">The node's own directory; its state and run directories go below it unless given.</param>
public sealed record LabNodeOptions(string Name, string Home)
{
    /// <summary>Where the node runs.</summary>
    /// <value>Directly on loopback.</value>
    public INodePlacement Placement { get; init; } = LoopbackPlacement.Instance;

    /// <summary>The configuration arguments of the daemon: <c>--config FILE</c>, or <c>--ha-dir DIR --drbd-conf FILE</c>.</summary>
    public IReadOnlyList<string> ConfigArguments { get; init; } = [];

    /// <summary>Further daemon arguments, such as <c>--no-realtime</c>.</summary>
    public IReadOnlyList<string> DaemonArguments { get; init; } = [];

    /// <summary>Environment variables of the daemon (and of what it starts); a null value removes one.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// A command the daemon runs under, inside its placement: it must end by exec'ing its
    /// arguments so that the pid stays the daemon's (<c>sh -c '... &amp;&amp; exec "$@"' ARG0</c>).
    /// </summary>
    public IReadOnlyList<string> Wrapper { get; init; } = [];

    /// <summary>The state directory; <c>HOME/state</c> when null.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>The run directory; <c>HOME/run</c> when null.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>A file every line the daemon prints is appended to, or null to keep them in memory only.</summary>
    public string? OutputLog { get; init; }

    /// <summary>How long disposing the node waits for its daemon to stop on SIGTERM before SIGKILL; zero kills it at once (a power cut).</summary>
    /// <value><see cref="LabNode.StopGrace"/>.</value>
    public TimeSpan DisposeGrace { get; init; } = LabNode.StopGrace;

    /// <summary>Called with each event of the daemon as it arrives (a timeline, a live log).</summary>
    public Action<ClusterEvent>? OnEvent { get; init; }
}
