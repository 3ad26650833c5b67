using System.Text.Json.Nodes;
using Tandem.Core.Status;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// The <c>links</c> section of <c>tandem status</c>: each configured heartbeat medium, whether it
/// opened, and its state towards every peer (the information of <c>cl_status linkstatus</c>).
/// </summary>
/// <param name="membership">The membership subsystem whose snapshot is drawn.</param>
public sealed class LinkStatusSection(MembershipSubsystem membership) : IStatusSection
{
    /// <inheritdoc/>
    public string Name => "links";

    /// <inheritdoc/>
    public JsonNode GetSnapshot()
    {
        var result = new JsonArray();
        var snapshot = membership.GetMembershipSnapshot();
        if (snapshot?["links"] is not JsonArray links)
        {
            return result;
        }
        var nodes = (snapshot["nodes"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        foreach (var link in links.OfType<JsonObject>())
        {
            var name = link["link"]?.GetValue<string>() ?? "?";
            var item = new JsonObject { ["name"] = name };
            if (link["open"]?.GetValue<bool>() == false)
            {
                item["status"] = "not open";
                item["error"] = link["error"]?.DeepClone();
                result.Add(item);
                continue;
            }
            foreach (var node in nodes)
            {
                var state = (node["links"] as JsonArray)?.OfType<JsonObject>()
                    .FirstOrDefault(l => l["link"]?.GetValue<string>() == name)?["status"];
                item[node["node"]?.GetValue<string>() ?? "?"] = state?.DeepClone();
            }
            item["send_errors"] = link["send_errors"]?.DeepClone();
            result.Add(item);
        }
        return result;
    }
}
