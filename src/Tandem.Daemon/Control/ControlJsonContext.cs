using System.Text.Json.Serialization;
using Tandem.Core.Events;

namespace Tandem.Daemon.Control;

/// <summary>Source-generated JSON for every document of the control API and the event log file.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(ClusterEvent))]
[JsonSerializable(typeof(List<ClusterEvent>))]
[JsonSerializable(typeof(ErrorDocument))]
[JsonSerializable(typeof(ShutdownDocument))]
[JsonSerializable(typeof(VolumeAttachRequest))]
[JsonSerializable(typeof(VolumeDocument))]
[JsonSerializable(typeof(VolumeActionRequest))]
public sealed partial class ControlJsonContext : JsonSerializerContext;
