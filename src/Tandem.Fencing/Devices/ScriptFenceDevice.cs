using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Fencing.Devices;

/// <summary>
/// An external script called as <c>SCRIPT ACTION NODE</c> (action <c>reboot</c> unless the
/// <c>action</c> parameter says otherwise); exit 0 means the node is fenced. Parameters reach it as
/// environment variables <c>TANDEM_FENCE_&lt;KEY&gt;</c>; <c>timeout</c> (seconds, default 60) bounds it.
/// </summary>
public sealed class ScriptFenceDevice : IFenceDevice
{
    private readonly ChildProcessRunner _runner;

    /// <summary>Creates the device.</summary>
    /// <param name="spec">The device.</param>
    /// <param name="runner">Runs the script; null for the default runner.</param>
    public ScriptFenceDevice(FenceDeviceSpec spec, ChildProcessRunner? runner = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        _runner = runner ?? ChildProcessRunner.Default;
    }

    /// <inheritdoc />
    public FenceDeviceSpec Spec { get; }

    /// <summary>The arguments before the node, for Heartbeat's external plugins (<c>reset</c>) or a script (<c>reboot</c>).</summary>
    public string Action => Spec.Parameters.GetValueOrDefault("action") ?? "reboot";

    /// <inheritdoc />
    public async Task<FenceResult> FenceAsync(string node, CancellationToken cancellationToken)
    {
        var timeout = Spec.Parameters.TryGetValue("timeout", out var t) && double.TryParse(t, System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(60);
        var env = Spec.Parameters.Where(p => p.Key != "action" && p.Key != "timeout")
            .ToDictionary(p => Spec.Kind == FenceKind.Stonith ? p.Key : "TANDEM_FENCE_" + p.Key.ToUpperInvariant().Replace('-', '_'), p => p.Value, StringComparer.Ordinal);
        var outcome = await _runner.RunAsync(new ProcessRequest(Spec.Command, [Action, node], timeout) { Environment = env }, cancellationToken)
            .ConfigureAwait(false);
        var output = outcome.Output.Length > 500 ? outcome.Output[..500] : outcome.Output;
        if (outcome.StartError is not null)
        {
            return FenceResult.Failed(Spec.Name, $"{Spec.Command} could not start: {outcome.StartError}");
        }
        if (outcome.TimedOut)
        {
            return FenceResult.Failed(Spec.Name, $"{Spec.Command} timed out after {timeout.TotalSeconds:0} s (a timeout is a failure)");
        }
        if (outcome.Cancelled)
        {
            return FenceResult.Failed(Spec.Name, "cancelled");
        }
        return outcome.ExitCode == 0
            ? FenceResult.Ok(Spec.Name, $"{Spec.Command} {Action} {node}: {output}")
            : FenceResult.Failed(Spec.Name, $"{Spec.Command} {Action} {node} exited {outcome.ExitCode}: {output}");
    }
}
