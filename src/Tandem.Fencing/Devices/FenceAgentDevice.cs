using System.Globalization;
using System.Text;
using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Fencing.Devices;

/// <summary>
/// A Debian fence-agents program (<c>fence_ipmilan</c>, <c>fence_apc</c>, ...). Its parameters go to its
/// standard input as <c>key=value</c> lines, with <c>action=</c> (default <c>reboot</c>) and <c>plug=</c>
/// (the node, or its entry in <c>pcmk_host_map</c> "node:port;node:port"); exit 0 means success.
/// </summary>
/// <remarks>
/// Tandem's own keys are not passed on: <c>timeout</c> (seconds, default 60) and every <c>pcmk_*</c> key
/// (<c>pcmk_host_map</c>, <c>pcmk_delay_base</c>, <c>pcmk_delay_max</c>).
/// Give <c>plug</c> or <c>port</c> yourself to fix it, or <c>no_plug=1</c> for single-node devices.
/// </remarks>
public sealed class FenceAgentDevice : IFenceDevice
{
    private static readonly HashSet<string> s_ownKeys = new(StringComparer.Ordinal) { "timeout", "pcmk_host_map", "no_plug", "action" };
    private readonly ChildProcessRunner _runner;

    /// <summary>Creates the device.</summary>
    /// <param name="spec">The device.</param>
    /// <param name="runner">Runs the program; null for the default runner.</param>
    public FenceAgentDevice(FenceDeviceSpec spec, ChildProcessRunner? runner = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        _runner = runner ?? ChildProcessRunner.Default;
    }

    /// <inheritdoc />
    public FenceDeviceSpec Spec { get; }

    /// <summary>The program: the command as given when it has a slash, else looked up in /usr/sbin.</summary>
    public string Program => Spec.Command.Contains('/', StringComparison.Ordinal) ? Spec.Command : Path.Combine("/usr/sbin", Spec.Command);

    /// <summary>The time one attempt may take.</summary>
    public TimeSpan Timeout =>
        Spec.Parameters.TryGetValue("timeout", out var t) && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s)
            : TimeSpan.FromSeconds(60);

    /// <summary>The standard input for fencing a node.</summary>
    /// <param name="node">The node.</param>
    /// <returns>The <c>key=value</c> lines.</returns>
    public string StandardInput(string node)
    {
        var sb = new StringBuilder();
        sb.Append("action=").Append(Spec.Parameters.GetValueOrDefault("action") ?? "reboot").Append('\n');
        var hasPlug = Spec.Parameters.ContainsKey("plug") || Spec.Parameters.ContainsKey("port") || Spec.Parameters.ContainsKey("no_plug");
        if (!hasPlug)
        {
            sb.Append("plug=").Append(MapPlug(node)).Append('\n');
        }
        foreach (var (key, value) in Spec.Parameters.Where(p => !s_ownKeys.Contains(p.Key) && !p.Key.StartsWith("pcmk_", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            // One line per key: a value with a newline would inject another key.
            sb.Append(key).Append('=').Append(value.ReplaceLineEndings(" ")).Append('\n');
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public async Task<FenceResult> FenceAsync(string node, CancellationToken cancellationToken)
    {
        if (!File.Exists(Program))
        {
            return FenceResult.Failed(Spec.Name, $"{Program} is not installed");
        }
        var outcome = await _runner.RunAsync(new ProcessRequest(Program, [], Timeout) { StandardInput = StandardInput(node) }, cancellationToken)
            .ConfigureAwait(false);
        var output = Short(outcome.Output);
        if (outcome.StartError is not null)
        {
            return FenceResult.Failed(Spec.Name, $"{Program} could not start: {outcome.StartError}");
        }
        if (outcome.TimedOut)
        {
            return FenceResult.Failed(Spec.Name, $"{Program} timed out after {Timeout.TotalSeconds:0} s (a timeout is a failure): {output}");
        }
        if (outcome.Cancelled)
        {
            return FenceResult.Failed(Spec.Name, "cancelled");
        }
        return outcome.ExitCode == 0
            ? FenceResult.Ok(Spec.Name, $"{Path.GetFileName(Program)} fenced {node}: {output}")
            : FenceResult.Failed(Spec.Name, $"{Path.GetFileName(Program)} exited {outcome.ExitCode}: {output}");
    }

    private string MapPlug(string node)
    {
        if (Spec.Parameters.TryGetValue("pcmk_host_map", out var map))
        {
            foreach (var entry in map.Split([';', ' ', ','], StringSplitOptions.RemoveEmptyEntries))
            {
                var i = entry.IndexOf(':', StringComparison.Ordinal);
                if (i > 0 && entry[..i] == node)
                {
                    return entry[(i + 1)..];
                }
            }
        }
        return node;
    }

    private static string Short(string text) => text.Length > 500 ? text[..500] + "..." : text.ReplaceLineEndings(" ");
}
