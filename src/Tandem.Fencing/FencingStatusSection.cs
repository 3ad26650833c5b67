using System.Globalization;
using System.Text.Json.Nodes;
using Tandem.Core.Status;
using Tandem.Fencing.Devices;

namespace Tandem.Fencing;

/// <summary>
/// The <c>fencing</c> section of <c>tandem status</c>: whether fencing is on, the devices, the nodes
/// waiting for a manual confirmation, and the last outcome per node.
/// </summary>
/// <param name="coordinator">The coordinator to report.</param>
public sealed class FencingStatusSection(FencingCoordinator coordinator) : IStatusSection
{
    /// <inheritdoc />
    public string Name => "fencing";

    /// <inheritdoc />
    public JsonNode GetSnapshot()
    {
        var devices = new JsonArray();
        foreach (var d in coordinator.Devices)
        {
            devices.Add(new JsonObject
            {
                ["name"] = d.Spec.Name,
                ["kind"] = d.Spec.Kind.ToString().ToLowerInvariant(),
                ["runsOn"] = d.Spec.RunsOn,
                ["targets"] = new JsonArray([.. d.Spec.Targets.Select(t => (JsonNode?)JsonValue.Create(t))]),
                ["unsupported"] = d is UnsupportedFenceDevice u ? u.Reason : null,
            });
        }
        var waiting = new JsonArray([.. coordinator.Devices.OfType<ManualFenceDevice>().SelectMany(m => m.Waiting).Distinct()
            .Order(StringComparer.Ordinal).Select(n => (JsonNode?)JsonValue.Create(n))]);
        var last = new JsonObject();
        foreach (var (node, (time, result)) in coordinator.LastResults.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            last[node] = new JsonObject
            {
                ["time"] = time.ToString("O", CultureInfo.InvariantCulture),
                ["success"] = result.Success,
                ["device"] = result.Device,
                ["detail"] = result.Detail,
            };
        }
        return new JsonObject
        {
            ["enabled"] = !coordinator.Disabled,
            ["devices"] = devices,
            ["awaitingConfirmation"] = waiting,
            ["last"] = last,
        };
    }
}
