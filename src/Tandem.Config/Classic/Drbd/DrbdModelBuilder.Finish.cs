using System.Globalization;
using Tandem.Core.Model;

namespace Tandem.Config.Classic.Drbd;

public sealed partial class DrbdModelBuilder
{
    private static readonly HashSet<string> s_typedNet =
    [
        "protocol", "cram-hmac-alg", "shared-secret", "after-sb-0pri", "after-sb-1pri", "after-sb-2pri", "allow-two-primaries",
        "verify-alg", "csums-alg", "timeout", "ping-int", "ping-timeout", "connect-int", "ko-count",
    ];

    private static readonly HashSet<string> s_typedDisk = ["on-io-error", "fencing", "resync-rate", "al-extents"];

    private static readonly HashSet<string> s_typedStartup = ["wfc-timeout", "degr-wfc-timeout", "outdated-wfc-timeout"];

    // Applies inheritance, checks the resource as a whole, and builds its model; null when the
    // resource is too broken to describe.
    private ReplicatedResourceSpec? Finish(ResourceDraft draft)
    {
        var settings = _common.Overlay(draft.Settings);
        var hosts = new List<HostDraft>(draft.Hosts);
        foreach (var c in draft.ConnectionHosts.Where(c => hosts.TrueForAll(h => h.Name != c.Name)))
        {
            hosts.Add(new HostDraft(c.Name, c.At));
        }
        foreach (var m in draft.MeshHosts.Where(m => hosts.TrueForAll(h => h.Name != m.Text)))
        {
            Error(DrbdCodes.MissingStatement, m, $"'connection-mesh' names host '{Shorten(m.Text)}', which has no 'on {Shorten(m.Text)}' section",
                "add an 'on' section for it, or remove it from 'hosts'");
        }
        if (hosts.Count != 2 && CheckCompleteness)
        {
            var names = hosts.Count == 0 ? "none" : string.Join(", ", hosts.Select(h => h.Name));
            Error(DrbdCodes.HostCount, draft.At, $"resource '{Shorten(draft.Name)}' has {hosts.Count} host(s) ({names}); Tandem replicates between exactly two",
                hosts.Count < 2
                    ? "add an 'on HOSTNAME { device ...; disk ...; address IP:PORT; meta-disk ...; }' section for each of the two nodes"
                    : "keep the two nodes of this cluster; DRBD 9 multi-peer resources are not supported");
        }

        var disk = BuildDisk(settings, draft.Name);
        var specs = new List<ReplicaHostSpec>();
        foreach (var host in hosts)
        {
            var connection = draft.ConnectionHosts.Find(c => c.Name == host.Name);
            var address = connection?.Address ?? host.Address;
            if (address is null && CheckCompleteness)
            {
                Error(DrbdCodes.MissingStatement, host.At, $"host '{Shorten(host.Name)}' of resource '{Shorten(draft.Name)}' has no 'address'",
                    $"add 'address IP:PORT;' to 'on {Shorten(host.Name)}'");
            }
            var addressText = address is { Invalid: false } ? address.Value : "";
            if (connection?.Port is { } port && addressText.Length > 0)
            {
                addressText = addressText[..(addressText.LastIndexOf(':') + 1)] + port.ToString(CultureInfo.InvariantCulture);
            }

            var numbers = new SortedSet<int>(draft.Volumes.Keys.Concat(host.Volumes.Keys));
            if (numbers.Count == 0)
            {
                numbers.Add(0);
            }
            var volumes = new List<VolumeSpec>();
            var devices = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var n in numbers)
            {
                host.Volumes.TryGetValue(n, out var hv);
                draft.Volumes.TryGetValue(n, out var rv);
                var device = hv?.Device ?? rv?.Device ?? host.Defaults.Device ?? draft.Defaults.Device;
                var backing = hv?.Disk ?? rv?.Disk ?? host.Defaults.Disk ?? draft.Defaults.Disk;
                var meta = hv?.MetaDisk ?? rv?.MetaDisk ?? host.Defaults.MetaDisk ?? draft.Defaults.MetaDisk;
                var what = numbers.Count == 1 && n == 0 && hv is null && rv is null ? "" : $" (volume {n})";
                var missing = new List<string>();
                if (device is null)
                {
                    missing.Add("device");
                }
                if (backing is null)
                {
                    missing.Add("disk");
                }
                if (meta is null && (backing is null || backing.Invalid || backing.Value != "none"))
                {
                    missing.Add("meta-disk");
                }
                if (missing.Count > 0 && CheckCompleteness)
                {
                    Error(DrbdCodes.MissingStatement, hv?.At ?? host.At,
                        $"host '{Shorten(host.Name)}' of resource '{Shorten(draft.Name)}'{what} has no '{string.Join("', '", missing)}'",
                        $"add {string.Join(", ", missing.Select(m => $"'{m} ...;'"))} to 'on {Shorten(host.Name)}', or once at resource level for both hosts");
                }
                if (device is { Invalid: false })
                {
                    if (devices.TryGetValue(device.Value, out var other))
                    {
                        Error(DrbdCodes.Duplicate, device.At, $"host '{Shorten(host.Name)}' uses device '{device.Value}' for volumes {other} and {n}",
                            "give each volume its own device (minor)");
                    }
                    devices[device.Value] = n;
                }
                var volumeDisk = rv?.DiskSettings is null && hv?.DiskSettings is null && host.DiskSettings is null
                    ? null
                    : BuildDisk(settings.Overlay(host.DiskSettings).Overlay(rv?.DiskSettings).Overlay(hv?.DiskSettings), draft.Name);
                volumes.Add(new VolumeSpec(n, device?.Value ?? "", backing?.Value ?? "", meta?.Value ?? (backing?.Value == "none" ? "" : ""))
                {
                    DiskOptions = volumeDisk,
                });
            }
            specs.Add(new ReplicaHostSpec(host.Name, addressText, volumes) { NodeId = host.NodeId });
            host.EffectiveAddress = address is { Invalid: false } ? address with { Value = addressText } : null;
        }

        if (hosts.Count == 2 && hosts[0].NodeId is { } id0 && hosts[0].NodeId == hosts[1].NodeId)
        {
            Error(DrbdCodes.Duplicate, hosts[1].At, $"hosts '{hosts[0].Name}' and '{hosts[1].Name}' have the same node-id {id0}",
                "give each host its own node-id");
        }

        var net = BuildNet(settings);
        var protocol = settings.Get("net", "protocol") switch
        {
            "A" => ReplicationProtocol.A,
            "B" => ReplicationProtocol.B,
            _ => ReplicationProtocol.C,
        };
        CheckConflicts(settings, protocol);
        draft.Built = hosts;
        return new ReplicatedResourceSpec(draft.Name)
        {
            Protocol = protocol,
            Hosts = specs,
            Net = net,
            Disk = disk,
            Startup = BuildStartup(settings),
            Handlers = settings.In("handlers").ToDictionary(StringComparer.Ordinal),
            Options = settings.In("options").ToDictionary(StringComparer.Ordinal),
        };
    }

    private void CheckConflicts(DrbdSettings settings, ReplicationProtocol protocol)
    {
        // The kernel module refuses these combinations (drbd.md §1.1); say so before it matters.
        var where = settings.Where("net", "protocol");
        if (settings.Get("net", "allow-two-primaries") == "yes" && protocol != ReplicationProtocol.C)
        {
            var at = settings.Where("net", "allow-two-primaries")!;
            Error(DrbdCodes.Conflict, at, $"'allow-two-primaries' needs protocol C, but the protocol is {protocol}", "use 'protocol C;' or drop allow-two-primaries");
        }
        if (settings.Get("disk", "fencing") == "resource-and-stonith" && protocol == ReplicationProtocol.A)
        {
            var at = settings.Where("disk", "fencing")!;
            Error(DrbdCodes.Conflict, at, "'fencing resource-and-stonith' cannot be used with protocol A", "use protocol B or C, or 'fencing resource-only'");
        }
        if (settings.Get("net", "on-congestion") is "pull-ahead" or "disconnect" && protocol != ReplicationProtocol.A)
        {
            var at = settings.Where("net", "on-congestion")!;
            Error(DrbdCodes.Conflict, at, $"'on-congestion {settings.Get("net", "on-congestion")}' needs protocol A, but the protocol is {protocol}",
                "use 'on-congestion block;' or protocol A");
        }
        _ = where;
    }

    private static NetOptions BuildNet(DrbdSettings s)
    {
        var defaults = new NetOptions();
        return new NetOptions
        {
            CramHmacAlg = s.Get("net", "cram-hmac-alg"),
            SharedSecret = s.Get("net", "shared-secret"),
            AfterSb0Pri = s.Get("net", "after-sb-0pri") ?? defaults.AfterSb0Pri,
            AfterSb1Pri = s.Get("net", "after-sb-1pri") ?? defaults.AfterSb1Pri,
            AfterSb2Pri = s.Get("net", "after-sb-2pri") ?? defaults.AfterSb2Pri,
            AllowTwoPrimaries = s.Get("net", "allow-two-primaries") == "yes",
            VerifyAlg = s.Get("net", "verify-alg"),
            CsumsAlg = s.Get("net", "csums-alg"),
            Timeout = Tenths(s.Get("net", "timeout")) ?? defaults.Timeout,
            PingInterval = Seconds(s.Get("net", "ping-int")) ?? defaults.PingInterval,
            PingTimeout = Tenths(s.Get("net", "ping-timeout")) ?? defaults.PingTimeout,
            ConnectInterval = Seconds(s.Get("net", "connect-int")) ?? defaults.ConnectInterval,
            KoCount = (int)(Long(s.Get("net", "ko-count")) ?? defaults.KoCount),
            Other = s.In("net").Where(kv => !s_typedNet.Contains(kv.Key)).ToDictionary(StringComparer.Ordinal),
        };
    }

    private static DiskOptions BuildDisk(DrbdSettings s, string resource)
    {
        _ = resource;
        var defaults = new DiskOptions();
        var rate = s.Get("disk", "resync-rate");
        return new DiskOptions
        {
            OnIoError = s.Get("disk", "on-io-error") ?? defaults.OnIoError,
            Fencing = s.Get("disk", "fencing") ?? defaults.Fencing,
            ResyncRate = rate is not null && DrbdValues.TryParseSize(rate, 1024, out var bytes) ? bytes : defaults.ResyncRate,
            AlExtents = (int)(Long(s.Get("disk", "al-extents")) ?? defaults.AlExtents),
            Other = s.In("disk").Where(kv => !s_typedDisk.Contains(kv.Key)).ToDictionary(StringComparer.Ordinal),
        };
    }

    private static StartupOptions BuildStartup(DrbdSettings s) => new()
    {
        WfcTimeout = Seconds(s.Get("startup", "wfc-timeout")) ?? TimeSpan.Zero,
        DegrWfcTimeout = Seconds(s.Get("startup", "degr-wfc-timeout")) ?? TimeSpan.Zero,
        OutdatedWfcTimeout = Seconds(s.Get("startup", "outdated-wfc-timeout")) ?? TimeSpan.Zero,
        Other = s.In("startup").Where(kv => !s_typedStartup.Contains(kv.Key)).ToDictionary(StringComparer.Ordinal),
    };

    private static long? Long(string? text) =>
        text is not null && DrbdValues.TryParseNumber(text, out var n) ? n : null;

    private static TimeSpan? Tenths(string? text) => Long(text) is { } n ? TimeSpan.FromMilliseconds(n * 100) : null;

    private static TimeSpan? Seconds(string? text) => Long(text) is { } n ? TimeSpan.FromSeconds(n) : null;

    private void CheckAcrossResources(List<(ResourceDraft Draft, ReplicatedResourceSpec Spec)> built)
    {
        var addresses = new Dictionary<string, (string Resource, string Host, DrbdToken At)>(StringComparer.Ordinal);
        var devices = new Dictionary<(string Host, string Device), string>();
        foreach (var (draft, spec) in built)
        {
            foreach (var host in draft.Built)
            {
                if (host.EffectiveAddress is not { } address || address.Value.Length == 0)
                {
                    continue;
                }
                if (addresses.TryGetValue(address.Value, out var first))
                {
                    Error(DrbdCodes.DuplicateAddress, address.At,
                        $"address {address.Value} of host '{Shorten(host.Name)}' in resource '{Shorten(draft.Name)}' is already used by host '{Shorten(first.Host)}' in resource '{Shorten(first.Resource)}' ({first.At.File}:{first.At.Line}:{first.At.Column})",
                        "every host of every resource needs its own IP:PORT; use the next port (e.g. 7789) for the next resource");
                }
                else
                {
                    addresses[address.Value] = (draft.Name, host.Name, address.At);
                }
            }
            foreach (var host in spec.Hosts)
            {
                foreach (var volume in host.Volumes.Where(v => v.Device.Length > 0))
                {
                    if (devices.TryGetValue((host.Name, volume.Device), out var other) && other != spec.Name)
                    {
                        Error(DrbdCodes.Duplicate, draft.At, $"host '{Shorten(host.Name)}' uses device '{volume.Device}' in resources '{Shorten(other)}' and '{Shorten(spec.Name)}'",
                            "give each resource its own device (minor)");
                    }
                    devices.TryAdd((host.Name, volume.Device), spec.Name);
                }
            }
        }
    }
}
