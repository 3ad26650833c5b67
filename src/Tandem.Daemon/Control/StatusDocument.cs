using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tandem.Daemon.Control;

/// <summary>
/// The answer of <c>GET /v1/status</c>: who the node is and where it came from, then one member per
/// status section (<c>links</c>, <c>peers</c>, <c>volumes</c>, <c>groups</c>, ...).
/// </summary>
public sealed class StatusDocument
{
    /// <summary>The node name.</summary>
    public required string Node { get; init; }

    /// <summary>The cluster name.</summary>
    public required string Cluster { get; init; }

    /// <summary>The daemon's version.</summary>
    public required string Version { get; init; }

    /// <summary>The daemon's process id.</summary>
    public required int Pid { get; init; }

    /// <summary>The configuration files the cluster was read from.</summary>
    public required IReadOnlyList<string> ConfigSources { get; init; }

    /// <summary>When the daemon started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Seconds since <see cref="StartedAt"/>.</summary>
    public required double UptimeSeconds { get; init; }

    /// <summary>The state directory.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>The run directory.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>The sequence number of the most recent event.</summary>
    public long LastEvent { get; init; }

    /// <summary>The sections, by name, in the order the daemon lists them.</summary>
    [JsonExtensionData]
    public JsonObject? Sections { get; set; }
}
