using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Output;

/// <summary>
/// Formats <c>tandem status</c> for people, in the manner of crm_mon: the node and where it came
/// from, then one heading per section. Sections are drawn generically (a list of items, each a line
/// with its name first), so that a subsystem's new section shows without changing this code.
/// </summary>
public static class StatusFormatter
{
    /// <summary>Formats a status document.</summary>
    /// <param name="status">The document.</param>
    /// <returns>The text.</returns>
    public static string Format(StatusDocument status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder();
        text.AppendLine($"Node: {status.Node} (cluster {status.Cluster})");
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Daemon: tandem {status.Version}, pid {status.Pid}"));
        text.AppendLine("Configuration: " + (status.ConfigSources.Count == 0 ? "(given in code)" : string.Join(", ", status.ConfigSources)));
        text.AppendLine($"Started: {status.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z, up {Uptime(TimeSpan.FromSeconds(status.UptimeSeconds))}");
        text.AppendLine($"Directories: state {status.StateDirectory}, run {status.RunDirectory}");
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Last event: #{status.LastEvent}"));
        foreach (var (name, value) in status.Sections ?? [])
        {
            text.AppendLine();
            AppendSection(text, name, value);
        }
        return text.ToString();
    }

    /// <summary>Formats an uptime as <c>1d 02h 03m 04s</c>, leaving out leading zero units.</summary>
    /// <param name="uptime">The uptime.</param>
    /// <returns>The text.</returns>
    public static string Uptime(TimeSpan uptime)
    {
        var i = CultureInfo.InvariantCulture;
        return uptime.TotalDays >= 1 ? string.Create(i, $"{(int)uptime.TotalDays}d {uptime.Hours:00}h {uptime.Minutes:00}m {uptime.Seconds:00}s")
            : uptime.TotalHours >= 1 ? string.Create(i, $"{uptime.Hours}h {uptime.Minutes:00}m {uptime.Seconds:00}s")
            : uptime.TotalMinutes >= 1 ? string.Create(i, $"{uptime.Minutes}m {uptime.Seconds:00}s")
            : string.Create(i, $"{uptime.Seconds}s");
    }

    /// <summary>
    /// Formats one entry of the <c>volumes</c> section: its state, size and replication on the first
    /// line, then its export addresses, its device, and its clients, each on an indented line.
    /// </summary>
    /// <param name="volume">The entry.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string FormatVolume(JsonObject volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var text = new StringBuilder();
        var name = Scalar(volume["name"]);
        var state = volume["state"] is null ? "exported" : Scalar(volume["state"]);
        text.Append(CultureInfo.InvariantCulture, $"{name}: {state}");
        if (volume["size"] is JsonValue size && size.TryGetValue<long>(out var bytes))
        {
            text.Append(CultureInfo.InvariantCulture, $", {Size(bytes)}");
        }
        if (volume["replication"] is JsonObject replicated)
        {
            text.Append(CultureInfo.InvariantCulture, $", replication {ReplicationSummary(replicated)}");
        }
        else if (volume["replication"] is { } replication)
        {
            text.Append(CultureInfo.InvariantCulture, $", replication {Scalar(replication)}");
        }
        if (volume["reason"] is { } reason)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    reason: {Scalar(reason)}");
        }
        if (volume["disk"] is { } disk)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    backing: {Scalar(disk)}");
        }
        if (volume["socket"] is { } socket)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    export: {Scalar(socket)}");
            if (volume["tcp"] is { } tcp)
            {
                text.Append(CultureInfo.InvariantCulture, $", tcp {Scalar(tcp)}");
            }
        }
        var device = volume["device"] is { } d ? Scalar(d) : null;
        var attached = volume["attachedDevice"] is { } a ? Scalar(a) : null;
        if (attached is not null)
        {
            var method = volume["attachMethod"] is { } m ? $" ({Scalar(m)})" : "";
            text.Append(CultureInfo.InvariantCulture, $"\n    attached: {attached}{method}{(device is null ? "" : $", configured device {device}")}");
        }
        else if (state == "exported")
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    attached: no{(device is null ? "" : $" (configured device {device})")}");
        }
        if (volume["clients"] is JsonArray clients)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    clients ({clients.Count})");
            foreach (var client in clients.OfType<JsonObject>())
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"\n      #{Scalar(client["id"])} {Scalar(client["remote"])} since {Scalar(client["since"])}, export {Scalar(client["export"])}");
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Formats one entry of the <c>groups</c> section: where the group runs and its state here on
    /// the first line, then why it waits (when it does), then each resource with its state, restarts
    /// and last failure, each on an indented line.
    /// </summary>
    /// <param name="group">The entry.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string FormatGroup(JsonObject group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var text = new StringBuilder();
        var runningOn = group["runningOn"] is { } r ? Scalar(r) : null;
        text.Append(CultureInfo.InvariantCulture, $"{Scalar(group["name"])}: {(runningOn is null ? "not running" : $"running on {runningOn}")}");
        text.Append(CultureInfo.InvariantCulture, $" (preferred {Scalar(group["preferredNode"])}; here {Scalar(group["state"])}");
        if (group["peerState"] is { } peer)
        {
            text.Append(CultureInfo.InvariantCulture, $", peer {Scalar(peer)}");
        }
        text.Append(')');
        if (group["failedHere"] is JsonValue failed && failed.TryGetValue<bool>(out var f) && f)
        {
            text.Append(" [failed here]");
        }
        if (group["blocked"] is { } blocked)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    waiting: {Scalar(blocked)}");
        }
        foreach (var resource in (group["resources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    {Scalar(resource["id"])} [{Scalar(resource["agent"])}] {Scalar(resource["state"])}");
            if (resource["restarts"] is JsonValue restarts && restarts.TryGetValue<int>(out var n) && n > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $", {n} restart{(n == 1 ? "" : "s")}");
            }
            if (resource["lastFailure"] is { } failure)
            {
                var when = resource["lastFailureTime"] is { } t ? $" at {Scalar(t)}" : "";
                text.Append(CultureInfo.InvariantCulture, $"\n      last failure{when}: {Scalar(failure)}");
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Formats the <c>fencing</c> section: enabled or not, the devices, the nodes awaiting a manual
    /// confirmation, and the last outcome per node.
    /// </summary>
    /// <param name="fencing">The section.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string FormatFencing(JsonObject fencing)
    {
        ArgumentNullException.ThrowIfNull(fencing);
        var text = new StringBuilder();
        var enabled = fencing["enabled"] is JsonValue e && e.TryGetValue<bool>(out var on) && on;
        text.Append(enabled ? "Fencing: enabled" : "Fencing: DISABLED (a dead node is taken over without being fenced)");
        var devices = (fencing["devices"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (enabled && devices.Count == 0)
        {
            text.Append("\n  devices: none (no dead node can be taken over)");
        }
        foreach (var d in devices)
        {
            var targets = d["targets"] is JsonArray ts && ts.Count > 0 ? string.Join(", ", ts.Select(Scalar)) : "every node";
            var runsOn = d["runsOn"] is { } ro ? Scalar(ro) : "any node";
            text.Append(CultureInfo.InvariantCulture, $"\n  * {Scalar(d["name"])} ({Scalar(d["kind"])}), fences {targets}, runs on {runsOn}");
            if (d["unsupported"] is { } why)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n      unsupported: {Scalar(why)}");
            }
        }
        if (fencing["awaitingConfirmation"] is JsonArray waiting && waiting.Count > 0)
        {
            foreach (var node in waiting)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n  awaiting confirmation: {Scalar(node)} (run 'tandem fence confirm {Scalar(node)}' once it is off)");
            }
        }
        if (fencing["last"] is JsonObject last)
        {
            foreach (var (node, outcome) in last)
            {
                if (outcome is not JsonObject o)
                {
                    continue;
                }
                var success = o["success"] is JsonValue s && s.TryGetValue<bool>(out var ok) && ok;
                text.Append(CultureInfo.InvariantCulture,
                    $"\n  last fencing of {node}: {(success ? "succeeded" : "FAILED")} at {Scalar(o["time"])} ({Scalar(o["device"])}): {Scalar(o["detail"])}");
            }
        }
        return text.ToString();
    }

    private static string Size(long bytes) =>
        bytes >= 1L << 30 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GiB")
        : bytes >= 1L << 20 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");

    private static void AppendSection(StringBuilder text, string name, JsonNode? value)
    {
        var heading = name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name[1..];
        if (name == "volumes" && value is JsonArray volumes && volumes.Count > 0)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{heading} ({volumes.Count}):"));
            foreach (var volume in volumes)
            {
                text.AppendLine("  * " + (volume is JsonObject v ? FormatVolume(v).Replace("\n", "\n  ", StringComparison.Ordinal) : Scalar(volume)));
            }
            return;
        }
        if (name == "groups" && value is JsonArray groups && groups.Count > 0)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{heading} ({groups.Count}):"));
            foreach (var group in groups)
            {
                text.AppendLine("  * " + (group is JsonObject g ? FormatGroup(g).Replace("\n", "\n  ", StringComparison.Ordinal) : Scalar(group)));
            }
            return;
        }
        if (name == "fencing" && value is JsonObject fencing && fencing.ContainsKey("enabled"))
        {
            text.AppendLine(FormatFencing(fencing));
            return;
        }
        switch (value)
        {
            case JsonArray array:
                text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{heading} ({array.Count}):"));
                if (array.Count == 0)
                {
                    text.AppendLine("  (none)");
                }
                foreach (var item in array)
                {
                    text.AppendLine("  * " + Item(item));
                }
                break;
            case JsonObject obj:
                text.AppendLine($"{heading}:");
                if (obj.Count == 0)
                {
                    text.AppendLine("  (none)");
                }
                foreach (var (key, member) in obj)
                {
                    text.AppendLine($"  {key}: {Scalar(member)}");
                }
                break;
            default:
                text.AppendLine($"{heading}: {Scalar(value)}");
                break;
        }
    }

    private static string Item(JsonNode? item)
    {
        if (item is not JsonObject obj)
        {
            return Scalar(item);
        }
        var name = obj.TryGetPropertyValue("name", out var n) ? Scalar(n) : null;
        var rest = obj.Where(kv => kv.Key != "name").Select(kv => $"{kv.Key}={Scalar(kv.Value)}");
        var facts = string.Join(" ", rest);
        return name is null ? facts : facts.Length == 0 ? name : $"{name}: {facts}";
    }

    private static string Scalar(JsonNode? node) => node switch
    {
        null => "-",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    /// <summary>A replicated volume in a few words: roles, disk states, connection (or why it is not up).</summary>
    private static string ReplicationSummary(JsonObject r) =>
        (string?)r["state"] == "up"
            ? $"{r["role"]}/{r["peerRole"]} {r["disk"]}/{r["peerDisk"]} {r["connection"]}{((string?)r["replication"] is "SyncSource" or "SyncTarget" ? $" {r["replication"]}" : "")}"
            : $"{r["state"]}";
}
