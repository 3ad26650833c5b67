using System.Globalization;
using System.Text;
using Tandem.Core.Model;

namespace Tandem.Cli.Output;

/// <summary>What <c>tandem config check</c> prints about a cluster: everything but the secrets.</summary>
public static class ClusterSummary
{
    /// <summary>Builds the JSON form of the summary.</summary>
    /// <param name="spec">The cluster.</param>
    /// <returns>The summary document.</returns>
    public static ClusterSummaryDocument ToDocument(ClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new ClusterSummaryDocument(
            spec.Name,
            [.. spec.Nodes.Select(n => n.Name)],
            [.. spec.Links.Select(LinkDocument)],
            new TimingDocument(Ms(spec.Timing.Keepalive), Ms(spec.Timing.Warntime), Ms(spec.Timing.Deadtime), Ms(spec.Timing.Initdead), Ms(spec.Timing.Deadping)),
            spec.Auth is null ? null : new AuthDocument(
                spec.Auth.ActiveIndex,
                Method(spec.Auth.Keys.FirstOrDefault(k => k.Index == spec.Auth.ActiveIndex)?.Method),
                [.. spec.Auth.Keys.Select(k => new AuthKeyDocument(k.Index, Method(k.Method)))],
                spec.Auth.AllowInsecure),
            [.. spec.Replicated.Select(r => new ReplicatedDocument(
                r.Name,
                r.Protocol.ToString(),
                [.. r.Hosts.Select(h => new ReplicaHostDocument(h.Name, h.Address, [.. h.Volumes.Select(v => new VolumeDocument(v.Number, v.Device, v.Disk, v.MetaDisk))]))]))],
            [.. spec.Groups.Select(g => new GroupDocument(
                g.Name,
                g.PreferredNode,
                [.. g.Resources.Select(r => new ResourceDocument(r.Id, r.Agent, r.Class.ToString(), r.Arguments, r.Parameters.Count == 0 ? null : new Dictionary<string, string>(r.Parameters)))]))],
            new FencingDocument(spec.Fencing.Disabled, [.. spec.Fencing.Devices.Select(d => new FenceDeviceDocument(d.Name, d.Kind.ToString(), d.Command, d.Targets, d.RunsOn))]),
            spec.AutoFailback.ToString().ToLowerInvariant(),
            [.. spec.Ping.Select(p => new PingDocument(p.Name, p.Addresses, p.IsGroup))],
            spec.Sources);
    }

    /// <summary>Formats the summary for people.</summary>
    /// <param name="spec">The cluster.</param>
    /// <returns>The text, one fact per line.</returns>
    public static string ToText(ClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Cluster {spec.Name}: {Count(spec.Nodes.Count, "node")}, {Count(spec.Links.Count, "link")}, {Count(spec.Replicated.Count, "replicated resource")}, {Count(spec.Groups.Count, "group")}"));
        text.AppendLine("Nodes:");
        foreach (var node in spec.Nodes)
        {
            text.AppendLine(node.NbdListen is null ? $"  {node.Name}" : $"  {node.Name} (NBD on {node.NbdListen})");
        }
        text.AppendLine("Links:");
        if (spec.Links.Count == 0)
        {
            text.AppendLine("  (none)");
        }
        foreach (var link in spec.Links)
        {
            text.AppendLine("  " + LinkText(link));
        }
        var t = spec.Timing;
        text.AppendLine($"Timing: keepalive {Duration(t.Keepalive)}, warntime {Duration(t.Warntime)}, deadtime {Duration(t.Deadtime)}, initdead {Duration(t.Initdead)}, deadping {Duration(t.Deadping)}");
        text.AppendLine("Authentication: " + AuthText(spec.Auth));
        text.AppendLine("Replicated resources:");
        if (spec.Replicated.Count == 0)
        {
            text.AppendLine("  (none)");
        }
        foreach (var resource in spec.Replicated)
        {
            text.AppendLine($"  {resource.Name}: protocol {resource.Protocol}");
            foreach (var host in resource.Hosts)
            {
                var volumes = string.Join("; ", host.Volumes.Select(v => Invariant($"volume {v.Number} {v.Device} on {v.Disk} (meta-disk {v.MetaDisk})")));
                text.AppendLine($"    {host.Name}: {host.Address}, {volumes}");
            }
        }
        text.AppendLine("Groups:");
        if (spec.Groups.Count == 0)
        {
            text.AppendLine("  (none)");
        }
        foreach (var group in spec.Groups)
        {
            text.AppendLine($"  {group.Name} (prefers {group.PreferredNode}):");
            var i = 0;
            foreach (var resource in group.Resources)
            {
                text.AppendLine(Invariant($"    {++i}. {ResourceText(resource)}"));
            }
        }
        text.AppendLine("Fencing: " + FencingText(spec.Fencing));
        text.AppendLine("Failback: " + spec.AutoFailback.ToString().ToLowerInvariant());
        if (spec.Ping.Count > 0)
        {
            text.AppendLine("Ping: " + string.Join(", ", spec.Ping.Select(p => p.IsGroup ? $"group {p.Name} ({string.Join(" ", p.Addresses)})" : p.Name)));
        }
        if (spec.Sources.Count > 0)
        {
            text.AppendLine("Sources: " + string.Join(", ", spec.Sources));
        }
        return text.ToString();
    }

    /// <summary>Formats a duration as the configuration files would: <c>2s</c>, <c>500ms</c>, <c>1.5s</c>.</summary>
    /// <param name="value">The duration.</param>
    /// <returns>The text.</returns>
    public static string Duration(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerSecond == 0 ? Invariant($"{(long)value.TotalSeconds}s")
        : value < TimeSpan.FromSeconds(1) ? Invariant($"{value.TotalMilliseconds:0.###}ms")
        : Invariant($"{value.TotalSeconds:0.###}s");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Count(int n, string what) => Invariant($"{n} {what}{(n == 1 ? "" : "s")}");

    private static long Ms(TimeSpan value) => (long)value.TotalMilliseconds;

    private static string Method(AuthMethod? method) => method?.ToString().ToLowerInvariant() ?? "none";

    private static string LinkText(LinkSpec link) => link switch
    {
        UnicastLinkSpec u => Invariant($"{u.Name}: UDP unicast{(u.Interface is null ? "" : " on " + u.Interface)}, port {u.Port}, to {string.Join(", ", u.Endpoints.Select(Endpoint))}"),
        BroadcastLinkSpec b => Invariant($"{b.Name}: UDP broadcast on {b.Interface}, port {b.Port}"),
        MulticastLinkSpec m => Invariant($"{m.Name}: UDP multicast {m.Group} on {m.Interface}, port {m.Port}, ttl {m.Ttl}, loop {(m.Loop ? "on" : "off")}"),
        SerialLinkSpec s => Invariant($"{s.Name}: serial {s.Device} at {s.Baud} baud") + (s.DeviceByNode.Count == 0 ? "" : " (" + string.Join(", ", s.DeviceByNode.Select(kv => $"{kv.Key}: {kv.Value}")) + ")"),
        _ => link.Name,
    };

    private static string Endpoint(LinkEndpoint e)
    {
        var address = e.Address.Contains(':', StringComparison.Ordinal) && e.Port is not null ? $"[{e.Address}]" : e.Address;
        var text = e.Port is { } port ? Invariant($"{address}:{port}") : address;
        return e.Node is null ? text : $"{text} ({e.Node})";
    }

    private static LinkDocument LinkDocument(LinkSpec link) => link switch
    {
        UnicastLinkSpec u => new LinkDocument(u.Name, "ucast", u.Interface, u.Port, [.. u.Endpoints.Select(Endpoint)]),
        BroadcastLinkSpec b => new LinkDocument(b.Name, "bcast", b.Interface, b.Port, null),
        MulticastLinkSpec m => new LinkDocument(m.Name, "mcast", m.Interface, m.Port, [m.Group]) { Ttl = m.Ttl, Loop = m.Loop },
        SerialLinkSpec s => new LinkDocument(s.Name, "serial", null, null, null) { Device = s.Device, Baud = s.Baud },
        _ => new LinkDocument(link.Name, link.GetType().Name, null, null, null),
    };

    private static string AuthText(AuthSpec? auth)
    {
        if (auth is null)
        {
            return "none configured";
        }
        var active = auth.Keys.FirstOrDefault(k => k.Index == auth.ActiveIndex);
        var text = Invariant($"key {auth.ActiveIndex}, {Method(active?.Method)} (secret not shown)");
        if (auth.Keys.Count > 1)
        {
            text += Invariant($"; {auth.Keys.Count} keys accepted: ") + string.Join(", ", auth.Keys.Select(k => Invariant($"{k.Index} {Method(k.Method)}")));
        }
        return auth.AllowInsecure ? text + "; unkeyed methods allowed (insecure)" : text;
    }

    private static string ResourceText(ResourceSpec r)
    {
        var text = r.Arguments.Count == 0 ? r.Agent : $"{r.Agent} {string.Join(" ", r.Arguments)}";
        if (r.Parameters.Count > 0)
        {
            text += " " + string.Join(" ", r.Parameters.Select(kv => $"{kv.Key}={kv.Value}"));
        }
        var kind = r.Class switch
        {
            AgentClass.Ocf => $"ocf:{r.Provider}",
            AgentClass.Heartbeat => "heartbeat",
            AgentClass.Lsb => "lsb",
            _ => "built-in",
        };
        return $"{text} [{kind}]";
    }

    private static string FencingText(FencingSpec fencing)
    {
        if (fencing.Disabled)
        {
            return "disabled explicitly (takeovers proceed without fencing, with a warning each time)";
        }
        if (fencing.Devices.Count == 0)
        {
            return "no fence devices configured";
        }
        return string.Join("; ", fencing.Devices.Select(d =>
            $"{d.Name} ({d.Kind.ToString().ToLowerInvariant()}{(d.Command.Length > 0 ? " " + d.Command : "")})"
            + (d.Targets.Count > 0 ? " fences " + string.Join(", ", d.Targets) : " fences any node")
            + (d.RunsOn is null ? "" : " from " + d.RunsOn)));
    }
}
