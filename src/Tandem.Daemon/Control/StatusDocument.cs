using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Tandem.Daemon.Control;

/// <summary>
/// The answer of <c>GET /v1/status</c>: who the node is and where it came from, then one member per
/// status section (<c>links</c>, <c>peers</c>, <c>volumes</c>, <c>groups</c>, ...). In the daemon a
/// section is the typed record its subsystem returned; read back from JSON it is the section's JSON
/// until <see cref="Section{T}(string)"/> asks for its type.
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
    public OrderedDictionary<string, object> Sections { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A section as its type, or null when the document has no section of that name.</summary>
    /// <typeparam name="T">The section's record (for example <c>IReadOnlyList&lt;VolumeStatus&gt;</c>); it must be in <see cref="ControlJsonContext"/>.</typeparam>
    /// <param name="name">The section's name.</param>
    /// <returns>The section.</returns>
    /// <exception cref="JsonException">The section is not of that type.</exception>
    public T? Section<T>(string name) where T : class
    {
        if (!Sections.TryGetValue(name, out var value))
        {
            return null;
        }
        return value switch
        {
            T typed => typed,
            JsonElement element => element.Deserialize(TypeInfo<T>()),
            _ => JsonSerializer.SerializeToElement(value, value.GetType(), ControlJsonContext.Default).Deserialize(TypeInfo<T>()),
        };
    }

    /// <summary>A section as JSON, whatever its type (for a section this client does not know).</summary>
    /// <param name="name">The section's name.</param>
    /// <returns>The JSON, or null when there is no such section.</returns>
    public JsonElement? SectionJson(string name) =>
        !Sections.TryGetValue(name, out var value) ? null
        : value is JsonElement element ? element
        : JsonSerializer.SerializeToElement(value, value.GetType(), ControlJsonContext.Default);

    /// <summary>Formats the document: the fixed fields, then one member per section.</summary>
    /// <param name="indented">True for an indented form that people read.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="NotSupportedException">A section's type is not in <see cref="ControlJsonContext"/>.</exception>
    public string ToJson(bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            foreach (var field in JsonSerializer.SerializeToElement(this, ControlJsonContext.Default.StatusDocument).EnumerateObject())
            {
                field.WriteTo(writer);
            }
            foreach (var (name, value) in Sections)
            {
                writer.WritePropertyName(name);
                if (value is JsonElement element)
                {
                    element.WriteTo(writer);
                }
                else
                {
                    JsonSerializer.Serialize(writer, value, value.GetType(), ControlJsonContext.Default);
                }
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads a document; every member that is not a fixed field is a section.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The document.</returns>
    /// <exception cref="JsonException">The text is not a status document.</exception>
    public static StatusDocument Parse(string json)
    {
        var document = JsonSerializer.Deserialize(json, ControlJsonContext.Default.StatusDocument)
            ?? throw new JsonException("the status document is null");
        using var root = JsonDocument.Parse(json);
        foreach (var member in root.RootElement.EnumerateObject())
        {
            if (!s_fixedNames.Contains(member.Name))
            {
                document.Sections[member.Name] = member.Value.Clone();
            }
        }
        return document;
    }

    private static JsonTypeInfo<T> TypeInfo<T>() =>
        ControlJsonContext.Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
            ?? throw new NotSupportedException($"{typeof(T).Name} is not a type of the control API");

    /// <summary>The names of the fixed fields; a section may not take one.</summary>
    public static IReadOnlySet<string> FixedNames => s_fixedNames;

    private static readonly HashSet<string> s_fixedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "node", "cluster", "version", "pid", "configSources", "startedAt", "uptimeSeconds", "stateDirectory",
        "runDirectory", "lastEvent",
    };
}
