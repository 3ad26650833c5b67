using System.Text.Json.Serialization;

namespace Tandem.Cli.Output;

/// <summary>Source-generated JSON for the documents the CLI prints itself.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(ConfigCheckDocument))]
public sealed partial class CliJsonContext : JsonSerializerContext;
