using Tandem.Core.Model;

namespace Tandem.Config.Native;

internal sealed partial class NativeSchemaReader
{
    private static readonly Dictionary<string, ReplicationProtocol> s_protocols = new(StringComparer.Ordinal)
    {
        ["A"] = ReplicationProtocol.A, ["B"] = ReplicationProtocol.B, ["C"] = ReplicationProtocol.C,
    };

    private static readonly Dictionary<string, string> s_onIoError = new(StringComparer.Ordinal)
    {
        ["detach"] = "detach", ["pass_on"] = "pass_on", ["call-local-io-error"] = "call-local-io-error",
    };

    private static readonly Dictionary<string, string> s_diskFencing = new(StringComparer.Ordinal)
    {
        ["dont-care"] = "dont-care", ["resource-only"] = "resource-only", ["resource-and-stonith"] = "resource-and-stonith",
    };

    private List<ReplicatedResourceSpec> ReadReplicated(List<TableReader> tables)
    {
        var result = new List<ReplicatedResourceSpec>();
        var names = new Dictionary<string, TomlLocation>(StringComparer.Ordinal);
        foreach (var t in tables)
        {
            var name = t.String("name", required: true);
            var protocol = t.Choice("protocol", s_protocols) ?? ReplicationProtocol.C;
            var net = t.SubTable("net", "[replicated.net]") is { } n ? ReadNet(n) : new NetOptions();
            var disk = t.SubTable("disk", "[replicated.disk]") is { } d ? ReadDisk(d) : new DiskOptions();
            var startup = t.SubTable("startup", "[replicated.startup]") is { } s ? ReadStartup(s) : new StartupOptions();
            var handlers = ToDictionary(t.StringMap("handlers"));
            var hosts = ReadHosts(t);
            t.Finish();
            if (name is null)
            {
                continue;
            }
            if (names.TryGetValue(name, out var first))
            {
                ctx.Error(NativeCodes.Duplicate, t.Table.Find("name")!.Location, $"the replicated resource '{TableReader.Clip(name)}' is defined twice (first at line {first.Line})");
                continue;
            }
            names[name] = t.Table.Find("name")!.Location;
            result.Add(new ReplicatedResourceSpec(name)
            {
                Protocol = protocol,
                Net = net,
                Disk = disk,
                Startup = startup,
                Handlers = handlers,
                Hosts = hosts,
            });
        }
        return result;
    }

    private static Dictionary<string, string> ToDictionary(List<(string Key, string Value, TomlLocation Where)>? map)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v, _) in map ?? [])
        {
            d[k] = v;
        }
        return d;
    }

    private NetOptions ReadNet(TableReader t)
    {
        var defaults = new NetOptions();
        var secret = ReadSecret(t, "shared_secret", "shared_secret_file");
        var net = new NetOptions
        {
            CramHmacAlg = t.String("cram_hmac_alg"),
            SharedSecret = secret.Value,
            AfterSb0Pri = t.String("after_sb_0pri") ?? defaults.AfterSb0Pri,
            AfterSb1Pri = t.String("after_sb_1pri") ?? defaults.AfterSb1Pri,
            AfterSb2Pri = t.String("after_sb_2pri") ?? defaults.AfterSb2Pri,
            AllowTwoPrimaries = t.Bool("allow_two_primaries") ?? false,
            VerifyAlg = t.String("verify_alg"),
            CsumsAlg = t.String("csums_alg"),
            Timeout = t.Duration("timeout", allowZero: false) ?? defaults.Timeout,
            PingInterval = t.Duration("ping_int", allowZero: false) ?? defaults.PingInterval,
            PingTimeout = t.Duration("ping_timeout", allowZero: false) ?? defaults.PingTimeout,
            ConnectInterval = t.Duration("connect_int", allowZero: false) ?? defaults.ConnectInterval,
            Other = ToDictionary(t.StringMap("other")),
        };
        t.Finish();
        return net;
    }

    private DiskOptions ReadDisk(TableReader t)
    {
        var defaults = new DiskOptions();
        var rate = defaults.ResyncRate;
        if (t.Has("resync_rate"))
        {
            var node = t.Table.Find("resync_rate")!;
            if (node is TomlScalar { Value: string s } && NativeUnits.TryParseRate(s, out var r))
            {
                rate = r;
            }
            else
            {
                ctx.Error(node is TomlScalar { Value: string } ? NativeCodes.BadValue : NativeCodes.WrongType, node.Location,
                    $"resync_rate must be a rate with a unit, such as \"30M\" (MiB/s), \"250K\" or \"1G\"",
                    node is TomlScalar { Value: long n } ? $"write resync_rate = \"{n}K\" if KiB/s was meant, as a bare number in drbd.conf" : null);
            }
        }
        var disk = new DiskOptions
        {
            OnIoError = t.Choice("on_io_error", s_onIoError) ?? defaults.OnIoError,
            Fencing = t.Choice("fencing", s_diskFencing) ?? defaults.Fencing,
            ResyncRate = rate,
            AlExtents = (int?)t.Integer("al_extents", 7, 65534) ?? defaults.AlExtents,
            Other = ToDictionary(t.StringMap("other")),
        };
        t.Finish();
        return disk;
    }

    private static StartupOptions ReadStartup(TableReader t)
    {
        var startup = new StartupOptions
        {
            WfcTimeout = t.Duration("wfc_timeout", allowZero: true) ?? TimeSpan.Zero,
            DegrWfcTimeout = t.Duration("degr_wfc_timeout", allowZero: true) ?? TimeSpan.Zero,
            OutdatedWfcTimeout = t.Duration("outdated_wfc_timeout", allowZero: true) ?? TimeSpan.Zero,
        };
        t.Finish();
        return startup;
    }

    private List<ReplicaHostSpec> ReadHosts(TableReader resource)
    {
        var hosts = new List<ReplicaHostSpec>();
        var names = new Dictionary<string, TomlLocation>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in resource.TableArray("host", "[[replicated.host]]"))
        {
            var name = h.String("name", required: true);
            var address = h.String("address", required: true);
            var volumes = new List<VolumeSpec>();
            var numbers = new Dictionary<int, TomlLocation>();
            var tables = h.TableArray("volume", "[[replicated.host.volume]]");
            foreach (var v in tables)
            {
                var number = (int?)v.Integer("number", 0, 65535) ?? volumes.Count;
                var device = v.String("device", required: true);
                var disk = v.String("disk", required: true);
                var meta = v.String("meta_disk") ?? "internal";
                v.Finish();
                if (device is null || disk is null)
                {
                    continue;
                }
                var where = v.Has("number") ? v.Table.Find("number")!.Location : v.Location;
                if (numbers.TryGetValue(number, out var first))
                {
                    ctx.Error(NativeCodes.Duplicate, where, $"volume {number} is defined twice for this host (first at line {first.Line})");
                    continue;
                }
                numbers[number] = where;
                volumes.Add(new VolumeSpec(number, device, disk, meta));
            }
            h.Finish();
            if (name is null || address is null)
            {
                continue;
            }
            if (!IsEndpoint(address))
            {
                ctx.Error(NativeCodes.BadValue, h.Table.Find("address")!.Location,
                    $"the host address must be IP:PORT, not \"{TableReader.Clip(address)}\"", "for example \"10.0.0.1:7788\" or \"[fd00::1]:7788\"");
                continue;
            }
            if (!CheckNode(name, h.Table.Find("name")!.Location, "the replica host"))
            {
                continue;
            }
            if (names.TryGetValue(name, out var firstHost))
            {
                ctx.Error(NativeCodes.Duplicate, h.Table.Find("name")!.Location, $"the host '{TableReader.Clip(name)}' appears twice in this resource (first at line {firstHost.Line})");
                continue;
            }
            names[name] = h.Table.Find("name")!.Location;
            if (tables.Count == 0)
            {
                ctx.Error(NativeCodes.Incomplete, h.Location, $"the host '{TableReader.Clip(name)}' has no [[replicated.host.volume]]",
                    "add a volume with device, disk and meta_disk");
                continue;
            }
            hosts.Add(new ReplicaHostSpec(name, address, volumes));
        }
        return hosts;
    }
}
