using System.Text.Json.Serialization;

namespace Tandem.Cli.Output;

/// <summary>Source-generated JSON for the documents the CLI prints itself, with the control API's naming policy (camelCase, nulls left out).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(ConfigCheckDocument))]
[JsonSerializable(typeof(UnreachableFrame))]
public sealed partial class CliJsonContext : JsonSerializerContext;
