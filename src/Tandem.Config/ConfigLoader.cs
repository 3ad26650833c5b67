using Tandem.Config.Classic;
using Tandem.Config.Native;
using Tandem.Core.Model;

namespace Tandem.Config;

/// <summary>
/// Loads the cluster configuration from whichever form the options name: the native file, or the
/// classic Heartbeat directory plus drbd.conf. Never throws on bad input: every problem becomes a
/// diagnostic.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Loads and validates a configuration.</summary>
    /// <param name="options">Where to read from.</param>
    /// <returns>The model (null when unusable) and every finding.</returns>
    public static ConfigResult Load(ConfigOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var diagnostics = new DiagnosticBag();
        ClusterSpec spec;
        if (options.NativeConfig is { } native)
        {
            spec = NativeConfigReader.Read(native, options, diagnostics);
        }
        else
        {
            spec = HeartbeatReader.Read(options, diagnostics);
            var drbd = options.DrbdConf ?? ConfigOptions.DefaultDrbdConf;
            if (options.DrbdConf is not null || File.Exists(drbd))
            {
                var resources = DrbdConfReader.Read(drbd, diagnostics);
                spec = spec with { Replicated = resources, Sources = [.. spec.Sources, drbd] };
            }
        }
        ClusterValidator.Validate(spec, options, diagnostics);
        var ordered = diagnostics.Items
            .Select((d, i) => (d, i))
            .OrderBy(x => x.d.Severity)
            .ThenBy(x => x.i)
            .Select(x => x.d)
            .ToList();
        return new ConfigResult(diagnostics.HasErrors ? null : spec, ordered);
    }
}
