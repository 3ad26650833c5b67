using Tandem.Core.Model;

namespace Tandem.Config.Native;

internal sealed partial class NativeSchemaReader
{
    /// <summary>Heartbeat's port (IANA ha-cluster), used where a link names none.</summary>
    public const int DefaultPort = 694;

    /// <summary>Heartbeat's default serial speed.</summary>
    public const int DefaultBaud = 19200;

    private static readonly Dictionary<string, string> s_linkKinds = new(StringComparer.Ordinal)
    {
        ["ucast"] = "ucast", ["bcast"] = "bcast", ["mcast"] = "mcast", ["serial"] = "serial",
    };

    // Which kind each kind-specific key belongs to, so that "group" on a ucast link gets a precise message.
    private static readonly Dictionary<string, string> s_kindKeys = new(StringComparer.Ordinal)
    {
        ["endpoint"] = "ucast",
        ["group"] = "mcast",
        ["ttl"] = "mcast",
        ["loop"] = "mcast",
        ["device"] = "serial",
        ["devices"] = "serial",
        ["baud"] = "serial",
        ["interface"] = "ucast/bcast/mcast",
        ["port"] = "ucast/bcast/mcast",
    };

    private static readonly int[] s_bauds = [9600, 19200, 38400, 57600, 115200, 230400, 460800];

    private List<LinkSpec> ReadLinks(List<TableReader> tables)
    {
        var links = new List<LinkSpec>();
        var names = new Dictionary<string, TomlLocation>(StringComparer.Ordinal);
        var index = 0;
        foreach (var t in tables)
        {
            index++;
            var kind = t.Choice("kind", s_linkKinds, required: true);
            var explicitName = t.String("name");
            LinkSpec? link = kind switch
            {
                "ucast" => ReadUnicast(t, explicitName, index),
                "bcast" => ReadBroadcast(t, explicitName, index),
                "mcast" => ReadMulticast(t, explicitName, index),
                "serial" => ReadSerial(t, explicitName),
                _ => null,
            };
            if (kind is null)
            {
                continue; // the kind is wrong or missing: reporting its keys as unknown would only add noise
            }
            t.Finish(s_kindKeys.Where(k => !k.Value.Contains(kind, StringComparison.Ordinal)).ToDictionary(k => k.Key, k => k.Value));
            if (link is null)
            {
                continue;
            }
            var where = explicitName is not null ? t.Table.Find("name")!.Location : t.Location;
            if (names.TryGetValue(link.Name, out var first))
            {
                ctx.Error(NativeCodes.Duplicate, where, $"two links are named '{TableReader.Clip(link.Name)}' (the first at line {first.Line})",
                    explicitName is null ? "the name is derived from the kind and interface; give each link a distinct 'name'" : null);
                continue;
            }
            names[link.Name] = where;
            links.Add(link);
        }
        return links;
    }

    private UnicastLinkSpec? ReadUnicast(TableReader t, string? name, int index)
    {
        var iface = t.String("interface");
        var port = t.Port("port") ?? DefaultPort;
        var endpoints = new List<LinkEndpoint>();
        var tables = t.TableArray("endpoint", "[[link.endpoint]]");
        foreach (var e in tables)
        {
            var address = e.String("address", required: true);
            var epPort = e.Port("port");
            var node = e.String("node");
            e.Finish();
            if (address is null)
            {
                continue;
            }
            if (!IsAddress(address))
            {
                ctx.Error(NativeCodes.BadValue, e.Table.Find("address")!.Location,
                    $"'{TableReader.Clip(address)}' is not an IP address", "an endpoint address is an IPv4 or IPv6 address, e.g. \"10.0.0.2\"");
                continue;
            }
            if (node is not null && !CheckNode(node, e.Table.Find("node")!.Location, "the endpoint's node"))
            {
                continue;
            }
            endpoints.Add(new LinkEndpoint(address, epPort, node));
        }
        if (tables.Count == 0)
        {
            ctx.Error(NativeCodes.Incomplete, t.Location, $"the ucast link {t.Path} has no [[link.endpoint]]",
                "add one [[link.endpoint]] per address heartbeats are sent to, with address and node");
            return null;
        }
        return new UnicastLinkSpec(name ?? DefaultLinkName("ucast", iface, index), iface, port, endpoints);
    }

    private BroadcastLinkSpec? ReadBroadcast(TableReader t, string? name, int index)
    {
        var iface = t.String("interface", required: true);
        var port = t.Port("port") ?? DefaultPort;
        return iface is null ? null : new BroadcastLinkSpec(name ?? DefaultLinkName("bcast", iface, index), iface, port);
    }

    private MulticastLinkSpec? ReadMulticast(TableReader t, string? name, int index)
    {
        var iface = t.String("interface", required: true);
        var group = t.String("group", required: true);
        var port = t.Port("port") ?? DefaultPort;
        var ttl = (int?)t.Integer("ttl", 1, 255) ?? 1;
        var loop = t.Bool("loop") ?? false;
        if (group is not null && (!System.Net.IPAddress.TryParse(group, out var g) || !IsMulticast(g) || !IsAddress(group)))
        {
            ctx.Error(NativeCodes.BadValue, t.Table.Find("group")!.Location, $"'{TableReader.Clip(group)}' is not a multicast group address",
                "use an address in 239.192.0.0/14 (organisation-local) or ff12::/16");
            return null;
        }
        return iface is null || group is null ? null : new MulticastLinkSpec(name ?? DefaultLinkName("mcast", iface, index), iface, group, port, ttl, loop);
    }

    private static bool IsMulticast(System.Net.IPAddress a) =>
        a.IsIPv6Multicast || (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (a.GetAddressBytes()[0] & 0xF0) == 0xE0);

    private SerialLinkSpec? ReadSerial(TableReader t, string? name)
    {
        var device = t.String("device");
        var baud = (int?)t.Integer("baud", 300, 4_000_000) ?? DefaultBaud;
        var devices = t.StringMap("devices") ?? [];
        if (t.Has("baud") && !s_bauds.Contains(baud))
        {
            ctx.Warning(NativeCodes.BadValue, t.Table.Find("baud")!.Location,
                $"baud {baud} is not a standard serial speed ({string.Join(", ", s_bauds)})");
        }
        var byNode = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (node, path, where) in devices)
        {
            if (CheckNode(node, where, "the serial device's node") && path.Length > 0)
            {
                byNode[node] = path;
            }
            else if (path.Length == 0)
            {
                ctx.Error(NativeCodes.BadValue, where, $"the serial device of node '{TableReader.Clip(node)}' is empty");
            }
        }
        if (device is null && devices.Count == 0)
        {
            ctx.Error(NativeCodes.MissingKey, t.Location, $"the serial link {t.Path} needs 'device' (or per-node 'devices')");
            return null;
        }
        var effective = device ?? "";
        var derived = device is not null ? "serial-" + System.IO.Path.GetFileName(device) : "serial";
        return new SerialLinkSpec(name ?? derived, effective, baud) { DeviceByNode = byNode };
    }

    private static string DefaultLinkName(string kind, string? iface, int index) =>
        iface is not null ? $"{kind}-{iface}" : $"{kind}-{index}";
}
