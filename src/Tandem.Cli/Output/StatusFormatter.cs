using System.Globalization;
using System.Text;
using System.Text.Json;
using Tandem.Daemon.Control;
using Tandem.Daemon.Status;
using Tandem.Fencing;
using Tandem.Membership;
using Tandem.Resources.Groups;

namespace Tandem.Cli.Output;

/// <summary>
/// Formats <c>tandem status</c> for people, in the manner of crm_mon: the node and where it came
/// from, then one heading per section, each fact on its own line with the labels of a block aligned.
/// The known sections are read as their typed records; a section this CLI does not know is drawn
/// generically (one line per member, nested members indented), never as raw JSON. Times are UTC
/// to the second.
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
        AppendFields(text, "",
        [
            ("Node", $"{status.Node} (cluster {status.Cluster})"),
            ("Daemon", string.Create(CultureInfo.InvariantCulture, $"tandem {status.Version}, pid {status.Pid}")),
            ("Configuration", status.ConfigSources.Count == 0 ? "(given in code)" : string.Join(", ", status.ConfigSources)),
            ("Started", $"{Time(status.StartedAt)}, up {Uptime(TimeSpan.FromSeconds(status.UptimeSeconds))}"),
            ("Directories", $"state {status.StateDirectory}, run {status.RunDirectory}"),
            ("Last event", string.Create(CultureInfo.InvariantCulture, $"#{status.LastEvent}")),
        ]);
        foreach (var name in status.Sections.Keys)
        {
            text.AppendLine();
            AppendSection(text, status, name);
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

    /// <summary>A time as operators read it: UTC, to the second (<c>2026-11-25 19:20:01Z</c>).</summary>
    /// <param name="time">The time.</param>
    /// <returns>The text.</returns>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z";

    /// <summary>
    /// Formats one entry of the <c>volumes</c> section: its state, size and replication on the first
    /// line, then its export addresses, its device, and its clients, each on an indented line.
    /// </summary>
    /// <param name="volume">The entry.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string FormatVolume(VolumeStatus volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var i = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(i, $"{volume.Name}: {volume.State}");
        if (volume.Size is { } bytes)
        {
            text.Append(i, $", {Size(bytes)}");
        }
        text.Append(i, $", replication {ReplicationSummary(volume.Replication)}");
        var fields = new List<(string, string)>();
        if (volume.Reason is { } reason)
        {
            fields.Add(("reason", reason));
        }
        fields.Add(("backing", volume.Disk));
        if (volume.Socket is { } socket)
        {
            fields.Add(("export", volume.Tcp is { } tcp ? $"{socket}, tcp {tcp}" : socket));
        }
        if (volume.AttachedDevice is { } attached)
        {
            var method = volume.AttachMethod is { } m ? $" ({m})" : "";
            fields.Add(("attached", $"{attached}{method}{(volume.Device is null ? "" : $", configured device {volume.Device}")}"));
        }
        else if (volume.State == "exported")
        {
            fields.Add(("attached", $"no{(volume.Device is null ? "" : $" (configured device {volume.Device})")}"));
        }
        if (volume.Clients is { } clients)
        {
            fields.Add(("clients", clients.Count == 0 ? "none" : string.Create(i, $"{clients.Count}")));
        }
        // Not padded: each line is a fact of one list item, read on its own (and grepped by scripts).
        var block = new StringBuilder();
        foreach (var (label, value) in fields)
        {
            block.AppendLine($"    {label}: {value}");
        }
        foreach (var client in volume.Clients ?? [])
        {
            block.AppendLine(string.Create(i, $"      #{client.Id} {client.Remote} since {Time(client.ConnectedAt)}, export {client.Export ?? "-"}"));
        }
        text.Append('\n').Append(block.ToString().TrimEnd('\n'));
        return text.ToString();
    }

    /// <summary>
    /// Formats one entry of the <c>groups</c> section: where the group runs and its state here on
    /// the first line, then why it waits (when it does), then each resource with its state, restarts
    /// and last failure, each on an indented line.
    /// </summary>
    /// <param name="group">The entry.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string FormatGroup(GroupStatus group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var i = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(i, $"{group.Name}: {(group.RunningOn is null ? "not running" : $"running on {group.RunningOn}")}");
        text.Append(i, $" (preferred {group.PreferredNode ?? "-"}; here {group.State}");
        if (group.PeerState is { } peer)
        {
            text.Append(i, $", peer {peer}");
        }
        text.Append(')');
        if (group.FailedHere == true)
        {
            text.Append(" [failed here]");
        }
        if (group.RunningSince is { } since)
        {
            text.Append(i, $"\n    running since {Time(since)}");
        }
        if (group.Blocked is { } blocked)
        {
            text.Append(i, $"\n    waiting: {blocked}");
        }
        foreach (var resource in group.Resources)
        {
            text.Append(i, $"\n    {resource.Id} [{resource.Agent}] {resource.State}");
            if (resource.Restarts > 0)
            {
                text.Append(i, $", {resource.Restarts} restart{(resource.Restarts == 1 ? "" : "s")}");
            }
            if (resource.LastFailure is { } failure)
            {
                var when = resource.LastFailureTime is { } t ? $" at {Time(t)}" : "";
                text.Append(i, $"\n      last failure{when}: {failure}");
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
    public static string FormatFencing(FencingStatus fencing)
    {
        ArgumentNullException.ThrowIfNull(fencing);
        var i = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(fencing.Enabled ? "Fencing: enabled" : "Fencing: DISABLED (a dead node is taken over without being fenced)");
        if (fencing.Enabled && fencing.Devices.Count == 0)
        {
            text.Append("\n  devices: none (no dead node can be taken over)");
        }
        foreach (var d in fencing.Devices)
        {
            var targets = d.Targets.Count > 0 ? string.Join(", ", d.Targets) : "every node";
            text.Append(i, $"\n  * {d.Name} ({d.Kind}), fences {targets}, runs on {d.RunsOn ?? "any node"}");
            if (d.Unsupported is { } why)
            {
                text.Append(i, $"\n      unsupported: {why}");
            }
        }
        foreach (var node in fencing.AwaitingConfirmation)
        {
            text.Append(i, $"\n  awaiting confirmation: {node} (run 'tandem fence confirm {node}' once it is off)");
        }
        foreach (var (node, o) in fencing.Last)
        {
            text.Append(i, $"\n  last fencing of {node}: {(o.Success ? "succeeded" : "FAILED")} at {Time(o.Time)} ({o.Device}): {o.Detail}");
        }
        return text.ToString();
    }

    /// <summary>Formats the <c>membership</c> section: status, timing, packets, connectivity, one aligned line each.</summary>
    /// <param name="m">The section.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string FormatMembership(MembershipCounters m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var i = CultureInfo.InvariantCulture;
        var fields = new List<(string, string)> { ("status", m.Generation is { } g ? string.Create(i, $"{m.Status}, generation {g}") : m.Status) };
        if (m.TimingMs is { } t)
        {
            fields.Add(("timing", string.Create(i, $"keepalive {t.Keepalive}ms, warntime {t.Warntime}ms, deadtime {t.Deadtime}ms, initdead {t.Initdead}ms")));
        }
        if (m.Accepted is { } accepted)
        {
            var rejected = m.Rejected is { Count: > 0 } r ? string.Join(", ", r.Select(kv => string.Create(i, $"{kv.Value} {kv.Key}"))) : "none";
            fields.Add(("packets", string.Create(i, $"{accepted} accepted, rejected {rejected}, {m.ReceiveErrors ?? 0} receive errors")));
        }
        if (m.Stalls is { } stalls)
        {
            fields.Add(("detector stalls", string.Create(i, $"{stalls}")));
        }
        if (m.Connectivity is { } c)
        {
            var pings = c.Pings.Count == 0 ? "" : " (" + string.Join(", ", c.Pings.Select(p => $"{p.Name} {p.Status}")) + ")";
            var peers = c.Peers.Count == 0 ? "" : "; peers " + string.Join(", ", c.Peers.Select(p => string.Create(i, $"{p.Key} {p.Value}")));
            fields.Add(("connectivity", string.Create(i, $"{c.Score}/{c.Total} ping nodes{pings}{peers}; ipfail {c.Ipfail}")));
        }
        if (m.Channel is { } ch)
        {
            fields.Add(("channel", string.Create(i, $"{ch.Unacknowledged} unacknowledged, {ch.Retransmits} retransmits")));
        }
        var text = new StringBuilder();
        AppendFields(text, "  ", fields);
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>Formats the <c>failover</c> section: mode, peer, auto_failback, fencing, and a takeover that waits.</summary>
    /// <param name="f">The section.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string FormatFailover(FailoverStatus f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var fields = new List<(string, string)>
        {
            ("mode", f.Mode),
            ("peer", f.Peer is null ? "none" : $"{f.Peer} ({f.PeerState ?? "unknown"})"),
            ("auto_failback", f.AutoFailback),
            ("fencing", f.Fencing),
            ("placement", f.PlacementDecided ? "decided" : "not decided yet"),
        };
        if (f.Takeover is { } takeover)
        {
            fields.Add(("takeover", takeover));
        }
        var text = new StringBuilder();
        AppendFields(text, "  ", fields);
        return text.ToString().TrimEnd('\n');
    }

    private static string Size(long bytes) =>
        bytes >= 1L << 30 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GiB")
        : bytes >= 1L << 20 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");

    private static void AppendSection(StringBuilder text, StatusDocument status, string name)
    {
        var heading = name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name[1..];
        switch (name)
        {
            case "links" when TryRead<HeartbeatLinkStatus[]>(status, name) is { } links:
                AppendList(text, heading, links, FormatLink);
                return;
            case "peers" when TryRead<PeerStatus[]>(status, name) is { } peers:
                AppendList(text, heading, peers, FormatPeer);
                return;
            case "volumes" when TryRead<VolumeStatus[]>(status, name) is { } volumes:
                AppendList(text, heading, volumes, FormatVolume);
                return;
            case "groups" when TryRead<GroupStatus[]>(status, name) is { } groups:
                AppendList(text, heading, groups, FormatGroup);
                return;
            case "fencing" when TryRead<FencingStatus>(status, name) is { } fencing:
                text.AppendLine(FormatFencing(fencing));
                return;
            case "membership" when TryRead<MembershipCounters>(status, name) is { } membership:
                text.AppendLine($"{heading}:").AppendLine(FormatMembership(membership));
                return;
            case "failover" when TryRead<FailoverStatus>(status, name) is { } failover:
                text.AppendLine($"{heading}:").AppendLine(FormatFailover(failover));
                return;
            default:
                AppendGeneric(text, heading, status.SectionJson(name));
                return;
        }
    }

    private static T? TryRead<T>(StatusDocument status, string name) where T : class
    {
        try
        {
            return status.Section<T>(name);
        }
        catch (JsonException)
        {
            // A daemon of another version (or a broken section's error): drawn generically.
            return null;
        }
    }

    private static void AppendList<T>(StringBuilder text, string heading, IReadOnlyList<T> items, Func<T, string> format)
    {
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{heading} ({items.Count}):"));
        if (items.Count == 0)
        {
            text.AppendLine("  (none)");
        }
        foreach (var item in items)
        {
            text.AppendLine("  * " + format(item).Replace("\n", "\n  ", StringComparison.Ordinal));
        }
    }

    private static string FormatLink(HeartbeatLinkStatus link) =>
        !link.Open ? $"{link.Name}: not open ({link.Error ?? "no reason given"})"
        : string.Create(CultureInfo.InvariantCulture,
            $"{link.Name}: {(link.Peers.Count == 0 ? "no peer" : string.Join(", ", link.Peers.Select(p => $"{p.Value} to {p.Key}")))}, {link.SendErrors ?? 0} send errors");

    private static string FormatPeer(PeerStatus peer)
    {
        var heard = peer.LastHeardMs is { } ms ? HeardAgo(ms) : "never heard";
        var links = peer.Links.Count == 0 ? "" : "; links " + string.Join(", ", peer.Links.Select(l => $"{l.Link} {l.Status}"));
        return $"{peer.Name}: {peer.Status}{(peer.Late ? " (late)" : "")}, {heard}{links}";
    }

    private static string HeardAgo(long ms) =>
        ms < 10_000 ? string.Create(CultureInfo.InvariantCulture, $"heard {ms} ms ago")
        : $"heard {Uptime(TimeSpan.FromMilliseconds(ms))} ago";

    /// <summary>A replicated volume in a few words: roles, disk states, connection (or why it is not up).</summary>
    private static string ReplicationSummary(Replication.ReplicaStatus r) =>
        r.State == Replication.ReplicaStatus.NotReplicated ? $"none ({r.Reason ?? "local backing"})"
        : r.State == "up"
            ? $"{r.Role}/{r.PeerRole} {r.Disk}/{r.PeerDisk} {r.Connection}{(r.Replication is "SyncSource" or "SyncTarget" ? $" {r.Replication}" : "")}"
            : r.State ?? "unknown";

    /// <summary>A section this CLI does not know: members as aligned lines, nested members indented, lists as items.</summary>
    private static void AppendGeneric(StringBuilder text, string heading, JsonElement? value)
    {
        switch (value)
        {
            case { ValueKind: JsonValueKind.Array } array:
                text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{heading} ({array.GetArrayLength()}):"));
                if (array.GetArrayLength() == 0)
                {
                    text.AppendLine("  (none)");
                }
                foreach (var item in array.EnumerateArray())
                {
                    text.AppendLine("  * " + Item(item));
                }
                break;
            case { ValueKind: JsonValueKind.Object } obj:
                text.AppendLine($"{heading}:");
                if (!obj.EnumerateObject().Any())
                {
                    text.AppendLine("  (none)");
                }
                AppendObject(text, "  ", obj);
                break;
            default:
                text.AppendLine($"{heading}: {(value is { } v ? Scalar(v) : "-")}");
                break;
        }
    }

    private static void AppendObject(StringBuilder text, string indent, JsonElement obj)
    {
        var members = obj.EnumerateObject().ToList();
        var width = members.Count == 0 ? 0 : members.Max(m => m.Name.Length) + 1;
        foreach (var member in members)
        {
            if (member.Value.ValueKind == JsonValueKind.Object)
            {
                text.AppendLine($"{indent}{member.Name}:");
                AppendObject(text, indent + "  ", member.Value);
            }
            else
            {
                text.AppendLine($"{indent}{(member.Name + ":").PadRight(width)} {Inline(member.Value)}");
            }
        }
    }

    private static string Item(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return Inline(item);
        }
        var name = item.TryGetProperty("name", out var n) ? Scalar(n) : null;
        var facts = string.Join(" ", item.EnumerateObject().Where(p => p.Name != "name").Select(p => $"{p.Name}={Inline(p.Value)}"));
        return name is null ? facts : facts.Length == 0 ? name : $"{name}: {facts}";
    }

    /// <summary>A value on one line: scalars as they are, lists joined by commas, objects as (key=value ...).</summary>
    private static string Inline(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => value.GetArrayLength() == 0 ? "none" : string.Join(", ", value.EnumerateArray().Select(Inline)),
        JsonValueKind.Object => "(" + string.Join(" ", value.EnumerateObject().Select(p => $"{p.Name}={Inline(p.Value)}")) + ")",
        _ => Scalar(value),
    };

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() is { } s && DateTimeOffset.TryParseExact(s, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? Time(time)
            : value.GetString() ?? "",
        JsonValueKind.Null or JsonValueKind.Undefined => "-",
        _ => value.GetRawText(),
    };

    /// <summary>Lines of "label: value" with the values of the block starting in one column.</summary>
    private static void AppendFields(StringBuilder text, string indent, IReadOnlyList<(string Label, string Value)> fields)
    {
        var width = fields.Count == 0 ? 0 : fields.Max(f => f.Label.Length) + 1;
        foreach (var (label, value) in fields)
        {
            text.Append(indent).Append((label + ":").PadRight(width)).Append(' ').AppendLine(value);
        }
    }
}
