using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Output;

/// <summary>
/// What <c>--json</c> prints: the control API's documents with the API's own options (camelCase,
/// null members left out), indented for people, so that the CLI and the daemon never differ in names.
/// </summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions s_indented = new(ControlJsonContext.Default.Options) { WriteIndented = true };

    /// <summary>A document of the control API, indented.</summary>
    public static string Indented<T>(T value) => JsonSerializer.Serialize(value, (JsonTypeInfo<T>)s_indented.GetTypeInfo(typeof(T)));

    /// <summary>JSON text as the daemon sent it, indented (members and their order unchanged).</summary>
    public static string Indented(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            document.RootElement.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
