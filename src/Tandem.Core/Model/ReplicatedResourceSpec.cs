namespace Tandem.Core.Model;

/// <summary>
/// A replicated resource (DRBD's <c>resource</c>): one connection between the hosts, carrying one
/// or more volumes.
/// </summary>
/// <param name="Name">The resource name (the seed's <c>r0</c>).</param>
public sealed record ReplicatedResourceSpec(string Name)
{
    /// <summary>The replication protocol.</summary>
    /// <value><see cref="ReplicationProtocol.C"/>.</value>
    public ReplicationProtocol Protocol { get; init; } = ReplicationProtocol.C;

    /// <summary>The hosts (DRBD's <c>on HOST</c> sections), each with its address and volumes.</summary>
    public IReadOnlyList<ReplicaHostSpec> Hosts { get; init; } = [];

    /// <summary>Network options (DRBD's <c>net</c> section).</summary>
    public NetOptions Net { get; init; } = new();

    /// <summary>Disk options (DRBD's <c>disk</c> section, and the 0.7/8.0 <c>syncer</c> section).</summary>
    public DiskOptions Disk { get; init; } = new();

    /// <summary>Start-up options (DRBD's <c>startup</c> section).</summary>
    public StartupOptions Startup { get; init; } = new();

    /// <summary>Handler commands by event name (<c>fence-peer</c>, <c>split-brain</c>, <c>local-io-error</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> Handlers { get; init; } = new Dictionary<string, string>();

    /// <summary>Resource options (DRBD's <c>options</c> section: <c>quorum</c>, <c>auto-promote</c>, <c>cpu-mask</c>, ...), by name, with their raw values.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>Finds the part of a host by name.</summary>
    /// <param name="host">The host name.</param>
    /// <returns>The host's part, or null.</returns>
    public ReplicaHostSpec? FindHost(string host) =>
        Hosts.FirstOrDefault(h => string.Equals(h.Name, host, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One host of a replicated resource.</summary>
/// <param name="Name">The host name (DRBD's <c>on HOST</c>); equals a cluster node name.</param>
/// <param name="Address">Where this host listens for its peer, <c>IP:PORT</c> (IPv6 in brackets).</param>
/// <param name="Volumes">The volumes of this host.</param>
public sealed record ReplicaHostSpec(string Name, string Address, IReadOnlyList<VolumeSpec> Volumes)
{
    /// <summary>The DRBD 9 node id (<c>node-id N</c>), or null when the configuration gives none.</summary>
    public int? NodeId { get; init; }
}

/// <summary>One replicated volume on one host.</summary>
/// <param name="Number">The volume number within its resource (0 for a classic single-volume resource).</param>
/// <param name="Device">The block device users see (the seed's <c>/dev/drbd0</c>); Tandem links it to the attached device.</param>
/// <param name="Disk">The local backing: a block device or a file.</param>
/// <param name="MetaDisk"><c>internal</c>, or a path with an optional <c>[index]</c>.</param>
public sealed record VolumeSpec(int Number, string Device, string Disk, string MetaDisk)
{
    /// <summary>
    /// The effective disk options of this volume when it has its own <c>disk { ... }</c> section
    /// (the resource's options overlaid with the volume's); null when it uses the resource's.
    /// </summary>
    public DiskOptions? DiskOptions { get; init; }
}

/// <summary>DRBD replication protocols (drbd.md §1.1).</summary>
public enum ReplicationProtocol
{
    /// <summary>Asynchronous: complete when written locally and sent.</summary>
    A,
    /// <summary>Memory-synchronous: complete when written locally and received by the peer.</summary>
    B,
    /// <summary>Synchronous: complete when written locally and on the peer's disk.</summary>
    C,
}

/// <summary>The network options Tandem acts on; everything else is kept in <see cref="Other"/>.</summary>
public sealed record NetOptions
{
    /// <summary>The HMAC algorithm of the peer challenge, or null for no authentication.</summary>
    public string? CramHmacAlg { get; init; }

    /// <summary>The shared secret of the peer challenge.</summary>
    public string? SharedSecret { get; init; }

    /// <summary>Split-brain policy when neither node is primary.</summary>
    /// <value><c>disconnect</c>.</value>
    public string AfterSb0Pri { get; init; } = "disconnect";

    /// <summary>Split-brain policy when one node is primary.</summary>
    /// <value><c>disconnect</c>.</value>
    public string AfterSb1Pri { get; init; } = "disconnect";

    /// <summary>Split-brain policy when both nodes are primary.</summary>
    /// <value><c>disconnect</c>.</value>
    public string AfterSb2Pri { get; init; } = "disconnect";

    /// <summary>Whether two primaries are allowed (never, for a non-cluster filesystem).</summary>
    public bool AllowTwoPrimaries { get; init; }

    /// <summary>The online-verify digest, or null for none.</summary>
    public string? VerifyAlg { get; init; }

    /// <summary>The checksum-resync digest, or null for none.</summary>
    public string? CsumsAlg { get; init; }

    /// <summary>How long to wait for a peer's answer before declaring the connection dead (DRBD's <c>timeout</c>, in 0.1 s units).</summary>
    /// <value>6 seconds.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>How often to ping an idle peer (DRBD's <c>ping-int</c>, in seconds).</summary>
    /// <value>10 seconds.</value>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a ping may take to be answered (DRBD's <c>ping-timeout</c>, in 0.1 s units).</summary>
    /// <value>0.5 seconds.</value>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long to wait between connection attempts (DRBD's <c>connect-int</c>, in seconds).</summary>
    /// <value>10 seconds.</value>
    public TimeSpan ConnectInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After how many timeouts of one write the peer is expelled (DRBD's <c>ko-count</c>); 0 never expels.</summary>
    /// <value>7.</value>
    public int KoCount { get; init; } = 7;

    /// <summary>Other options, by name, with their raw values.</summary>
    public IReadOnlyDictionary<string, string> Other { get; init; } = new Dictionary<string, string>();
}

/// <summary>The disk options Tandem acts on; everything else is kept in <see cref="Other"/>.</summary>
public sealed record DiskOptions
{
    /// <summary>What to do on a local I/O error: <c>detach</c>, <c>pass_on</c> or <c>call-local-io-error</c>.</summary>
    /// <value><c>detach</c>.</value>
    public string OnIoError { get; init; } = "detach";

    /// <summary>The fencing policy: <c>dont-care</c>, <c>resource-only</c> or <c>resource-and-stonith</c>.</summary>
    /// <value><c>dont-care</c>.</value>
    public string Fencing { get; init; } = "dont-care";

    /// <summary>The fixed resync rate in bytes per second.</summary>
    /// <value>250 KiB/s, DRBD's default.</value>
    public long ResyncRate { get; init; } = 250 * 1024;

    /// <summary>The number of activity-log extents (4 MiB each).</summary>
    /// <value>1237.</value>
    public int AlExtents { get; init; } = 1237;

    /// <summary>Other options, by name, with their raw values.</summary>
    public IReadOnlyDictionary<string, string> Other { get; init; } = new Dictionary<string, string>();
}

/// <summary>Start-up options (DRBD's <c>startup</c> section).</summary>
public sealed record StartupOptions
{
    /// <summary>How long to wait for the peer at start-up; zero waits forever.</summary>
    public TimeSpan WfcTimeout { get; init; }

    /// <summary>The wait after a degraded reboot; zero waits forever.</summary>
    public TimeSpan DegrWfcTimeout { get; init; }

    /// <summary>The wait when the peer is known to be outdated; zero waits forever.</summary>
    public TimeSpan OutdatedWfcTimeout { get; init; }

    /// <summary>Other options, by name, with their raw values (<c>become-primary-on</c>, <c>wait-after-sb</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> Other { get; init; } = new Dictionary<string, string>();
}
