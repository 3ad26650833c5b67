using System.Text.Json;
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

    /// <summary>
    /// The sections, by name, in the order the daemon lists them. On the wire each is a top-level
    /// member of the document, next to the fields above.
    /// </summary>
    [JsonIgnore]
    public JsonObject? Sections { get; set; }

    /// <summary>Formats the document: the fixed fields, then one member per section.</summary>
    /// <param name="indented">True for an indented form that people read.</param>
    /// <returns>The JSON text.</returns>
    public string ToJson(bool indented = false)
    {
        var root = JsonSerializer.SerializeToNode(this, ControlJsonContext.Default.StatusDocument)!.AsObject();
        foreach (var (name, value) in Sections ?? [])
        {
            root[name] = value?.DeepClone();
        }
        return root.ToJsonString(indented ? s_indented : null);
    }

    /// <summary>Reads a document; every member that is not a fixed field is a section.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The document.</returns>
    /// <exception cref="JsonException">The text is not a status document.</exception>
    public static StatusDocument Parse(string json)
    {
        var document = JsonSerializer.Deserialize(json, ControlJsonContext.Default.StatusDocument)
            ?? throw new JsonException("the status document is null");
        var root = JsonNode.Parse(json)?.AsObject() ?? throw new JsonException("the status document is not an object");
        var sections = new JsonObject();
        foreach (var (name, value) in root)
        {
            if (!s_fixedNames.Contains(name))
            {
                sections[name] = value?.DeepClone();
            }
        }
        document.Sections = sections;
        return document;
    }

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>The names of the fixed fields; a section may not take one.</summary>
    public static IReadOnlySet<string> FixedNames => s_fixedNames;

    private static readonly HashSet<string> s_fixedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "node", "cluster", "version", "pid", "configSources", "startedAt", "uptimeSeconds", "stateDirectory",
        "runDirectory", "lastEvent",
    };
}
