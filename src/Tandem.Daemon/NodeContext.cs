using Tandem.Core.Model;

namespace Tandem.Daemon;

/// <summary>
/// Who this daemon is and what it was started with; every subsystem can inject it to find its part
/// of the cluster.
/// </summary>
public sealed class NodeContext
{
    /// <summary>Creates the context.</summary>
    /// <param name="spec">The cluster.</param>
    /// <param name="node">This node's entry in <paramref name="spec"/>.</param>
    /// <param name="options">The daemon options.</param>
    /// <param name="startedAt">When the daemon started.</param>
    public NodeContext(ClusterSpec spec, NodeSpec node, DaemonOptions options, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(options);
        Spec = spec;
        Node = node;
        Options = options;
        StartedAt = startedAt;
    }

    /// <summary>The whole cluster as configured.</summary>
    public ClusterSpec Spec { get; }

    /// <summary>This node's entry.</summary>
    public NodeSpec Node { get; }

    /// <summary>This node's name, as the configuration spells it.</summary>
    public string NodeName => Node.Name;

    /// <summary>The daemon options.</summary>
    public DaemonOptions Options { get; }

    /// <summary>When the daemon started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The version of this build.</summary>
    public static string Version { get; } =
        typeof(NodeContext).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
            .FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
