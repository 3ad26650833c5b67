using Tandem.Core.Events;
using Tandem.Core.Model;

namespace Tandem.Fencing.Devices;

/// <summary>
/// Turns configured devices into drivers, mapping Heartbeat's <c>stonith</c>/<c>stonith_host</c> types
/// where Tandem can: <c>meatware</c> becomes manual confirmation, <c>external/NAME</c> runs the
/// cluster-glue plugin script when it is installed; the rest are reported unsupported.
/// </summary>
public sealed class FenceDeviceFactory
{
    private readonly IEventSink? _events;

    /// <summary>Creates a factory.</summary>
    /// <param name="events">Where manual devices announce themselves; null for nowhere.</param>
    /// <param name="stonithPluginDirectory">Where cluster-glue keeps external plugins.</param>
    public FenceDeviceFactory(IEventSink? events = null, string stonithPluginDirectory = "/usr/lib/stonith/plugins")
    {
        _events = events;
        StonithPluginDirectory = stonithPluginDirectory;
    }

    /// <summary>Where cluster-glue keeps external plugins.</summary>
    public string StonithPluginDirectory { get; }

    /// <summary>Creates the driver for a device.</summary>
    /// <param name="spec">The device.</param>
    /// <returns>The driver.</returns>
    public IFenceDevice Create(FenceDeviceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Kind switch
        {
            FenceKind.FenceAgent => new FenceAgentDevice(spec),
            FenceKind.Script => new ScriptFenceDevice(spec),
            FenceKind.Manual => new ManualFenceDevice(spec, _events),
            _ => Stonith(spec),
        };
    }

    private IFenceDevice Stonith(FenceDeviceSpec spec)
    {
        var type = spec.Command;
        if (type == "meatware")
        {
            return new ManualFenceDevice(spec, _events);
        }
        if (type.StartsWith("external/", StringComparison.Ordinal))
        {
            var plugin = Path.Combine(StonithPluginDirectory, type);
            if (!File.Exists(plugin))
            {
                return new UnsupportedFenceDevice(spec, $"stonith type {type}: the plugin {plugin} is not installed (cluster-glue); configure a fence-agents device or a script instead");
            }
            // cluster-glue external plugins take "reset NODE" and their configuration as environment variables.
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["action"] = "reset" };
            foreach (var (k, v) in ExternalParameters(type, spec.Parameters))
            {
                parameters[k] = v;
            }
            return new ScriptFenceDevice(spec with { Command = plugin, Parameters = parameters });
        }
        var hint = type switch
        {
            "null" => "it only pretends to fence; to run without fencing say so explicitly (fencing disabled)",
            "suicide" => "a node cannot be trusted to fence itself",
            "ipmilan" or "external/ipmi" => "use fence-agents' fence_ipmilan",
            "apcmaster" or "apcsmart" or "apcmastersnmp" => "use fence-agents' fence_apc or fence_apc_snmp",
            "riloe" => "use fence-agents' fence_ilo",
            "wti_nps" => "use fence-agents' fence_wti",
            _ => "configure a fence-agents program or a script for it",
        };
        return new UnsupportedFenceDevice(spec, $"stonith type {type} is not supported: {hint}");
    }

    private static IEnumerable<KeyValuePair<string, string>> ExternalParameters(string type, IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var (k, v) in parameters)
        {
            if (k != "params")
            {
                yield return new(k, v);
                continue;
            }
            var positional = new List<string>();
            foreach (var token in v.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var i = token.IndexOf('=', StringComparison.Ordinal);
                if (i > 0)
                {
                    yield return new(token[..i], token[(i + 1)..]);
                }
                else
                {
                    positional.Add(token);
                }
            }
            // Positional values are the hosts: external/ssh and most external plugins call them "hostlist".
            if (positional.Count > 0)
            {
                yield return new("hostlist", string.Join(' ', positional));
            }
        }
    }
}
