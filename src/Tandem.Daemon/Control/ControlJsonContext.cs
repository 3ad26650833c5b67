using System.Text.Json.Serialization;
using Tandem.Core.Events;
using Tandem.Daemon.Status;
using Tandem.Fencing;
using Tandem.Membership;
using Tandem.Nbd;
using Tandem.Replication;
using Tandem.Resources.Groups;

namespace Tandem.Daemon.Control;

/// <summary>
/// Source-generated JSON for every document of the control API, every status section, and the event
/// log file. Its options are the API's one naming policy: camelCase member names, null members left
/// out; <c>tandem ... --json</c> prints these same documents.
/// </summary>
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
[JsonSerializable(typeof(ReplicationActionResult))]
[JsonSerializable(typeof(HeartbeatLinkStatus[]))]
[JsonSerializable(typeof(PeerStatus[]))]
[JsonSerializable(typeof(VolumeStatus[]))]
[JsonSerializable(typeof(GroupStatus[]))]
[JsonSerializable(typeof(MembershipCounters))]
[JsonSerializable(typeof(MembershipSnapshot))]
[JsonSerializable(typeof(FailoverStatus))]
[JsonSerializable(typeof(FencingStatus))]
[JsonSerializable(typeof(ReplicationStatus))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, NbdExportStatus>))]
[JsonSerializable(typeof(Dictionary<string, NbdExportStatus>))]
[JsonSerializable(typeof(SectionError))]
public sealed partial class ControlJsonContext : JsonSerializerContext;
