namespace Tandem.Core.Model;

/// <summary>
/// A resource group: resources started left to right and stopped right to left, run on one node
/// at a time (one <c>haresources</c> line).
/// </summary>
/// <param name="Name">The group key; the first resource's text in <c>haresources</c>, unique in the cluster.</param>
/// <param name="PreferredNode">The node that runs the group when both can.</param>
/// <param name="Resources">The resources in start order.</param>
public sealed record GroupSpec(string Name, string PreferredNode, IReadOnlyList<ResourceSpec> Resources);

/// <summary>One resource of a group and how to drive its agent.</summary>
/// <param name="Id">A name unique within the group (the agent name, numbered on repeats).</param>
/// <param name="Agent">The agent type: <c>drbddisk</c>, <c>Filesystem</c>, <c>IPaddr</c>, a script name, ...</param>
public sealed record ResourceSpec(string Id, string Agent)
{
    /// <summary>Which agent standard runs it.</summary>
    /// <value><see cref="AgentClass.Heartbeat"/> for a classic line: resource.d, then init.d.</value>
    public AgentClass Class { get; init; } = AgentClass.Heartbeat;

    /// <summary>The OCF provider (for <see cref="AgentClass.Ocf"/>), e.g. <c>heartbeat</c>.</summary>
    public string? Provider { get; init; }

    /// <summary>Positional arguments (R1 <c>agent::arg::arg</c>), passed before the action.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Named parameters (OCF_RESKEY_*), for OCF and built-in agents.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Time allowed for start.</summary>
    /// <value>20 s.</value>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Time allowed for stop.</summary>
    /// <value>20 s.</value>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Time allowed for one monitor.</summary>
    /// <value>20 s.</value>
    public TimeSpan MonitorTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The interval between monitors; zero disables monitoring (Heartbeat R1 had none).</summary>
    public TimeSpan MonitorInterval { get; init; }
}

/// <summary>Resource agent standards.</summary>
public enum AgentClass
{
    /// <summary>Heartbeat R1 script: resource.d, then init.d; status read as text.</summary>
    Heartbeat,
    /// <summary>An OCF agent under <c>$OCF_ROOT/resource.d/PROVIDER/TYPE</c>.</summary>
    Ocf,
    /// <summary>An LSB init script.</summary>
    Lsb,
    /// <summary>An agent built into Tandem (<c>volume</c>/<c>drbddisk</c>, <c>process</c>, <c>MailTo</c>, ...).</summary>
    BuiltIn,
}
