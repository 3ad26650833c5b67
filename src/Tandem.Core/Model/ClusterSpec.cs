namespace Tandem.Core.Model;

/// <summary>
/// The whole cluster as configured: one model whichever form it was read from (the classic
/// Heartbeat and DRBD files, or the native <c>tandem.toml</c>). Every node reads the same spec
/// and finds its own part by name.
/// </summary>
public sealed record ClusterSpec
{
    /// <summary>The cluster name; packets of other clusters are rejected.</summary>
    /// <value>Heartbeat's default, <c>linux-ha</c>.</value>
    public string Name { get; init; } = "linux-ha";

    /// <summary>The member nodes, in the order they were declared.</summary>
    public IReadOnlyList<NodeSpec> Nodes { get; init; } = [];

    /// <summary>Heartbeat timing: keepalive, warntime, deadtime, initdead.</summary>
    public TimingSpec Timing { get; init; } = new();

    /// <summary>The heartbeat media (Heartbeat's <c>ucast</c>, <c>bcast</c>, <c>mcast</c>, <c>serial</c>).</summary>
    public IReadOnlyList<LinkSpec> Links { get; init; } = [];

    /// <summary>The keys that sign and verify cluster messages; null when none was configured.</summary>
    public AuthSpec? Auth { get; init; }

    /// <summary>Replicated resources (DRBD's <c>resource</c>), each with one or more volumes.</summary>
    public IReadOnlyList<ReplicatedResourceSpec> Replicated { get; init; } = [];

    /// <summary>Resource groups (one <c>haresources</c> line each), started left to right.</summary>
    public IReadOnlyList<GroupSpec> Groups { get; init; } = [];

    /// <summary>How a dead node is fenced before its groups are taken over.</summary>
    public FencingSpec Fencing { get; init; } = new();

    /// <summary>Where notification mail goes.</summary>
    public NotificationSpec Notification { get; init; } = new();

    /// <summary>Ping nodes and ping groups used to compare connectivity (Heartbeat's ipfail).</summary>
    public IReadOnlyList<PingSpec> Ping { get; init; } = [];

    /// <summary>What happens when a group's preferred node comes back.</summary>
    /// <value><see cref="FailbackMode.Legacy"/>, Heartbeat's compiled-in default.</value>
    public FailbackMode AutoFailback { get; init; } = FailbackMode.Legacy;

    /// <summary>Logging destinations as the classic files name them.</summary>
    public LoggingSpec Logging { get; init; } = new();

    /// <summary>Child processes the daemon runs and restarts (Heartbeat's <c>respawn</c>).</summary>
    public IReadOnlyList<RespawnSpec> Respawn { get; init; } = [];

    /// <summary>The files this spec was read from, for status and error messages.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>Finds a node by name (node names compare case-insensitively, as Heartbeat's do).</summary>
    /// <param name="name">The node name, usually <c>uname -n</c>.</param>
    /// <returns>The node, or null when it is not a member.</returns>
    public NodeSpec? FindNode(string name) =>
        Nodes.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase));
}
