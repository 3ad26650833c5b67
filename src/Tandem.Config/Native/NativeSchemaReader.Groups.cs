using Tandem.Core.Model;

namespace Tandem.Config.Native;

internal sealed partial class NativeSchemaReader
{
    private static readonly Dictionary<string, AgentClass> s_classes = new(StringComparer.Ordinal)
    {
        ["heartbeat"] = AgentClass.Heartbeat, ["ocf"] = AgentClass.Ocf, ["lsb"] = AgentClass.Lsb, ["builtin"] = AgentClass.BuiltIn,
    };

    private static readonly Dictionary<string, FenceKind> s_fenceKinds = new(StringComparer.Ordinal)
    {
        ["fence-agent"] = FenceKind.FenceAgent, ["script"] = FenceKind.Script, ["manual"] = FenceKind.Manual, ["stonith"] = FenceKind.Stonith,
    };

    private static readonly Dictionary<string, string> s_facilities = new[]
    {
        "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user", "uucp",
        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7", "none",
    }.ToDictionary(f => f, f => f, StringComparer.Ordinal);

    private List<GroupSpec> ReadGroups(List<TableReader> tables)
    {
        var groups = new List<GroupSpec>();
        var names = new Dictionary<string, TomlLocation>(StringComparer.Ordinal);
        foreach (var t in tables)
        {
            var name = t.String("name");
            var preferred = t.String("preferred_node", required: true);
            var resources = ReadResources(t);
            t.Finish();
            if (preferred is null)
            {
                continue;
            }
            if (!CheckNode(preferred, t.Table.Find("preferred_node")!.Location, "the group's preferred node"))
            {
                continue;
            }
            if (resources.Count == 0)
            {
                if (t.Table.Find("resource") is null)
                {
                    ctx.Error(NativeCodes.Incomplete, t.Location, $"{t.Path} has no [[group.resource]]", "a group runs one or more resources, in order");
                }
                continue;
            }
            // Without a name, the group is known as haresources knows it: by its first resource.
            name ??= R1Text(resources[0]);
            var where = t.Has("name") ? t.Table.Find("name")!.Location : t.Location;
            if (names.TryGetValue(name, out var first))
            {
                ctx.Error(NativeCodes.Duplicate, where, $"two groups are named '{TableReader.Clip(name)}' (the first at line {first.Line})");
                continue;
            }
            names[name] = where;
            groups.Add(new GroupSpec(name, preferred, resources));
        }
        return groups;
    }

    private static string R1Text(ResourceSpec r) =>
        r.Arguments.Count == 0 ? r.Agent : r.Agent + "::" + string.Join("::", r.Arguments);

    private List<ResourceSpec> ReadResources(TableReader group)
    {
        var resources = new List<ResourceSpec>();
        var ids = new Dictionary<string, TomlLocation>(StringComparer.Ordinal);
        var tables = group.TableArray("resource", "[[group.resource]]");
        var nextNumber = new Dictionary<string, int>(StringComparer.Ordinal);
        var failed = false;
        foreach (var t in tables)
        {
            var agent = t.String("agent", required: true);
            var id = t.String("id");
            var cls = t.Choice("class", s_classes) ?? AgentClass.Heartbeat;
            var provider = t.String("provider");
            var arguments = t.StringArray("arguments") ?? [];
            var parameterList = t.StringMap("parameters");
            var parameters = ToDictionary(parameterList);
            var defaults = new ResourceSpec("", "");
            var start = t.Duration("start_timeout", allowZero: false) ?? defaults.StartTimeout;
            var stop = t.Duration("stop_timeout", allowZero: false) ?? defaults.StopTimeout;
            var monitor = t.Duration("monitor_timeout", allowZero: false) ?? defaults.MonitorTimeout;
            var interval = t.Duration("monitor_interval", allowZero: true) ?? TimeSpan.Zero;
            t.Finish();
            if (agent is null)
            {
                failed = true;
                continue;
            }
            if (cls == AgentClass.BuiltIn && VolumeResource.IsVolumeAgent(agent))
            {
                foreach (var (key, _, keyAt) in parameterList ?? [])
                {
                    if (VolumeResource.CheckParameter(key) is { } unknown)
                    {
                        ctx.Error(NativeCodes.UnknownKey, keyAt, $"{unknown.Problem} (in {t.Path}.parameters)", unknown.Hint);
                        failed = true;
                    }
                }
            }
            if (provider is not null && cls != AgentClass.Ocf)
            {
                ctx.Error(NativeCodes.Conflict, t.Table.Find("provider")!.Location, "'provider' applies only to class = \"ocf\"");
            }
            if (id is null)
            {
                // The agent's name, numbered on repeats (IPaddr, IPaddr-2, ...). The counter per agent
                // keeps this linear even for a file with thousands of resources of one agent.
                id = agent;
                var n = nextNumber.GetValueOrDefault(agent, 2);
                while (ids.ContainsKey(id))
                {
                    id = $"{agent}-{n++}";
                }
                nextNumber[agent] = n;
            }
            var where = t.Has("id") ? t.Table.Find("id")!.Location : t.Location;
            if (ids.TryGetValue(id, out var first))
            {
                ctx.Error(NativeCodes.Duplicate, where, $"two resources of this group have the id '{TableReader.Clip(id)}' (the first at line {first.Line})");
                failed = true;
                continue;
            }
            ids[id] = where;
            resources.Add(new ResourceSpec(id, agent)
            {
                Class = cls,
                Provider = provider,
                Arguments = arguments,
                Parameters = parameters,
                StartTimeout = start,
                StopTimeout = stop,
                MonitorTimeout = monitor,
                MonitorInterval = interval,
            });
        }
        return failed ? [] : resources;
    }

    private FencingSpec ReadFencing(TableReader t)
    {
        var disabled = t.Bool("disabled") ?? false;
        var devices = new List<FenceDeviceSpec>();
        var names = new Dictionary<string, TomlLocation>(StringComparer.Ordinal);
        var tables = t.TableArray("device", "[[fencing.device]]");
        foreach (var d in tables)
        {
            var name = d.String("name", required: true);
            var kind = d.Choice("kind", s_fenceKinds, required: true);
            var command = d.String("command");
            var parameters = ToDictionary(d.StringMap("parameters"));
            var targets = d.StringArray("targets") ?? [];
            var runsOn = d.String("runs_on");
            d.Finish();
            if (name is null || kind is null)
            {
                continue;
            }
            if (command is null && kind != FenceKind.Manual)
            {
                ctx.Error(NativeCodes.MissingKey, d.Location, $"the fence device '{TableReader.Clip(name)}' needs 'command' (the agent or script to run)");
                continue;
            }
            var ok = true;
            foreach (var target in targets)
            {
                ok &= CheckNode(target, d.Table.Find("targets")!.Location, "the fence target");
            }
            if (runsOn is not null)
            {
                ok &= CheckNode(runsOn, d.Table.Find("runs_on")!.Location, "runs_on");
            }
            if (!ok)
            {
                continue;
            }
            if (names.TryGetValue(name, out var first))
            {
                ctx.Error(NativeCodes.Duplicate, d.Table.Find("name")!.Location, $"two fence devices are named '{TableReader.Clip(name)}' (the first at line {first.Line})");
                continue;
            }
            names[name] = d.Table.Find("name")!.Location;
            devices.Add(new FenceDeviceSpec(name, kind.Value, command ?? "") { Parameters = parameters, Targets = targets, RunsOn = runsOn });
        }
        t.Finish();
        if (disabled && tables.Count > 0)
        {
            ctx.Error(NativeCodes.Conflict, t.Table.Find("disabled")!.Location,
                "fencing is disabled, yet fence devices are configured",
                "remove 'disabled = true' to use the devices, or remove the devices");
        }
        return new FencingSpec { Disabled = disabled, Devices = devices };
    }

    private static NotificationSpec ReadNotification(TableReader t)
    {
        var n = new NotificationSpec
        {
            SmtpRelay = t.String("smtp_relay") ?? new NotificationSpec().SmtpRelay,
            From = t.String("from"),
        };
        t.Finish();
        return n;
    }

    private List<PingSpec> ReadPing(List<TableReader> tables)
    {
        var result = new List<PingSpec>();
        foreach (var t in tables)
        {
            var address = t.String("address");
            var group = t.String("group");
            var addresses = t.StringArray("addresses");
            t.Finish();
            if (address is not null && (group is not null || addresses is not null))
            {
                ctx.Error(NativeCodes.Conflict, t.Table.Find("address")!.Location,
                    $"{t.Path} is either a ping node (address) or a ping group (group and addresses), not both");
                continue;
            }
            if (address is not null)
            {
                result.Add(new PingSpec(address, [address], false));
            }
            else if (group is not null && addresses is { Count: > 0 })
            {
                result.Add(new PingSpec(group, addresses, true));
            }
            else if (group is not null || addresses is not null)
            {
                ctx.Error(NativeCodes.MissingKey, t.Location, $"the ping group {t.Path} needs 'group' (its name) and a non-empty 'addresses'");
            }
            else if (t.Table.Entries.Count == 0 || (t.Table.Find("address") is null && t.Table.Find("group") is null))
            {
                ctx.Error(NativeCodes.MissingKey, t.Location, $"{t.Path} needs 'address' (a ping node) or 'group' and 'addresses' (a ping group)");
            }
        }
        return result;
    }

    private static LoggingSpec ReadLogging(TableReader t)
    {
        var l = new LoggingSpec
        {
            Facility = t.Choice("facility", s_facilities),
            LogFile = t.String("file"),
            DebugFile = t.String("debug_file"),
        };
        t.Finish();
        return l;
    }

    private static List<RespawnSpec> ReadRespawn(List<TableReader> tables)
    {
        var result = new List<RespawnSpec>();
        foreach (var t in tables)
        {
            var user = t.String("user", required: true);
            var command = t.String("command", required: true);
            t.Finish();
            if (user is not null && command is not null)
            {
                result.Add(new RespawnSpec(user, command));
            }
        }
        return result;
    }
}
