using System.Text.Json.Serialization;

namespace Tandem.Daemon.Control;

/// <summary>Source-generated JSON for the placement endpoints.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PlacementRequest))]
[JsonSerializable(typeof(FenceConfirmRequest))]
[JsonSerializable(typeof(PlacementDocument))]
[JsonSerializable(typeof(ErrorDocument))]
public sealed partial class FailoverJsonContext : JsonSerializerContext;
