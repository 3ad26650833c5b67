namespace Tandem.Cli.Output;

/// <summary>The cluster as <c>tandem config check --json</c> describes it; secrets are never included.</summary>
/// <param name="Cluster">The cluster name.</param>
/// <param name="Nodes">The member nodes.</param>
/// <param name="Links">The heartbeat media.</param>
/// <param name="Timing">Heartbeat timing, in milliseconds.</param>
/// <param name="Auth">The authentication method and key indexes, or null.</param>
/// <param name="Replicated">The replicated resources.</param>
/// <param name="Groups">The resource groups, resources in start order.</param>
/// <param name="Fencing">The fencing set-up.</param>
/// <param name="AutoFailback">on, off or legacy.</param>
/// <param name="Ping">Ping nodes and groups.</param>
/// <param name="Sources">The files read.</param>
public sealed record ClusterSummaryDocument(
    string Cluster,
    IReadOnlyList<string> Nodes,
    IReadOnlyList<LinkDocument> Links,
    TimingDocument Timing,
    AuthDocument? Auth,
    IReadOnlyList<ReplicatedDocument> Replicated,
    IReadOnlyList<GroupDocument> Groups,
    FencingDocument Fencing,
    string AutoFailback,
    IReadOnlyList<PingDocument> Ping,
    IReadOnlyList<string> Sources);

/// <summary>A heartbeat medium.</summary>
/// <param name="Name">The link name.</param>
/// <param name="Kind">ucast, bcast, mcast or serial.</param>
/// <param name="Interface">The interface, when any.</param>
/// <param name="Port">The UDP port, when any.</param>
/// <param name="Endpoints">Where heartbeats go (unicast addresses, or the multicast group).</param>
public sealed record LinkDocument(string Name, string Kind, string? Interface, int? Port, IReadOnlyList<string>? Endpoints)
{
    /// <summary>The multicast TTL.</summary>
    public int? Ttl { get; init; }

    /// <summary>The multicast loop flag.</summary>
    public bool? Loop { get; init; }

    /// <summary>The serial device.</summary>
    public string? Device { get; init; }

    /// <summary>The serial speed.</summary>
    public int? Baud { get; init; }
}

/// <summary>Heartbeat timing in milliseconds.</summary>
/// <param name="KeepaliveMs">Interval between heartbeats.</param>
/// <param name="WarntimeMs">Late-heartbeat warning.</param>
/// <param name="DeadtimeMs">Silence before a node is dead.</param>
/// <param name="InitdeadMs">Deadtime at start-up.</param>
/// <param name="DeadpingMs">Silence before a ping node is dead.</param>
public sealed record TimingDocument(long KeepaliveMs, long WarntimeMs, long DeadtimeMs, long InitdeadMs, long DeadpingMs);

/// <summary>Authentication, without secrets.</summary>
/// <param name="ActiveIndex">The signing key.</param>
/// <param name="Method">The signing key's method.</param>
/// <param name="Keys">Every accepted key.</param>
/// <param name="AllowInsecure">True when unkeyed methods are allowed.</param>
public sealed record AuthDocument(int ActiveIndex, string Method, IReadOnlyList<AuthKeyDocument> Keys, bool AllowInsecure);

/// <summary>One key, without its secret.</summary>
/// <param name="Index">The key index.</param>
/// <param name="Method">The method.</param>
public sealed record AuthKeyDocument(int Index, string Method);

/// <summary>A replicated resource.</summary>
/// <param name="Name">The resource name.</param>
/// <param name="Protocol">A, B or C.</param>
/// <param name="Hosts">Its hosts.</param>
public sealed record ReplicatedDocument(string Name, string Protocol, IReadOnlyList<ReplicaHostDocument> Hosts);

/// <summary>A host of a replicated resource.</summary>
/// <param name="Name">The host.</param>
/// <param name="Address">Where it listens for its peer.</param>
/// <param name="Volumes">Its volumes.</param>
public sealed record ReplicaHostDocument(string Name, string Address, IReadOnlyList<VolumeDocument> Volumes);

/// <summary>A volume.</summary>
/// <param name="Number">The volume number.</param>
/// <param name="Device">The device users see.</param>
/// <param name="Disk">The backing disk.</param>
/// <param name="MetaDisk">Where the metadata lives.</param>
public sealed record VolumeDocument(int Number, string Device, string Disk, string MetaDisk);

/// <summary>A resource group.</summary>
/// <param name="Name">The group key.</param>
/// <param name="PreferredNode">The preferred node.</param>
/// <param name="Resources">The resources in start order.</param>
public sealed record GroupDocument(string Name, string PreferredNode, IReadOnlyList<ResourceDocument> Resources);

/// <summary>A resource.</summary>
/// <param name="Id">The id within the group.</param>
/// <param name="Agent">The agent.</param>
/// <param name="Class">The agent standard.</param>
/// <param name="Arguments">Positional arguments.</param>
/// <param name="Parameters">Named parameters, when any.</param>
public sealed record ResourceDocument(string Id, string Agent, string Class, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string>? Parameters);

/// <summary>Fencing.</summary>
/// <param name="Disabled">True when explicitly disabled.</param>
/// <param name="Devices">The devices.</param>
public sealed record FencingDocument(bool Disabled, IReadOnlyList<FenceDeviceDocument> Devices);

/// <summary>A fence device.</summary>
/// <param name="Name">The name.</param>
/// <param name="Kind">What drives it.</param>
/// <param name="Command">The agent or script.</param>
/// <param name="Targets">The nodes it fences; empty for any.</param>
/// <param name="RunsOn">The node that runs it, or null.</param>
public sealed record FenceDeviceDocument(string Name, string Kind, string Command, IReadOnlyList<string> Targets, string? RunsOn);

/// <summary>A ping node or group.</summary>
/// <param name="Name">The address or group name.</param>
/// <param name="Addresses">The probed addresses.</param>
/// <param name="IsGroup">True for a ping group.</param>
public sealed record PingDocument(string Name, IReadOnlyList<string> Addresses, bool IsGroup);

/// <summary>The whole answer of <c>tandem config check --json</c>.</summary>
/// <param name="Valid">True when the configuration has no errors.</param>
/// <param name="Summary">The cluster, when it could be read.</param>
/// <param name="Diagnostics">Every finding.</param>
public sealed record ConfigCheckDocument(bool Valid, ClusterSummaryDocument? Summary, IReadOnlyList<DiagnosticDocument> Diagnostics);

/// <summary>One finding.</summary>
/// <param name="Severity">error, warning or info.</param>
/// <param name="Code">The stable code.</param>
/// <param name="File">The file.</param>
/// <param name="Line">The line, 0 for the whole file.</param>
/// <param name="Column">The column, 0 when unknown.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Hint">How to fix it, when known.</param>
public sealed record DiagnosticDocument(string Severity, string Code, string File, int Line, int Column, string Message, string? Hint);
