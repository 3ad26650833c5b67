using System.Globalization;
using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Resources.Agents;

/// <summary>
/// An OCF resource agent, <c>$OCF_ROOT/resource.d/PROVIDER/TYPE</c>, called with the action as its only
/// argument and everything else in the environment, as Pacemaker calls it.
/// </summary>
public sealed class OcfAgent : ScriptAgent
{
    private readonly string _path;

    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource: <see cref="ResourceSpec.Agent"/> is the type, <see cref="ResourceSpec.Provider"/> the provider (default <c>heartbeat</c>).</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="runner">Runs the program; null for the default runner.</param>
    public OcfAgent(ResourceSpec spec, AgentContext context, ChildProcessRunner? runner = null)
        : base(spec, context, runner)
    {
        Provider = spec.Provider ?? "heartbeat";
        _path = Path.Combine(context.OcfRoot, "resource.d", Provider, spec.Agent);
    }

    /// <summary>The provider.</summary>
    public string Provider { get; }

    /// <inheritdoc />
    public override string Describe => $"ocf:{Provider}:{Spec.Agent}";

    /// <inheritdoc />
    public override string? ProgramPath => IsExecutable(_path) ? _path : null;

    /// <inheritdoc />
    public override Task<AgentResult> StartAsync(CancellationToken cancellationToken) =>
        ActionAsync("start", Spec.StartTimeout, TimeSpan.Zero, cancellationToken);

    /// <inheritdoc />
    public override Task<AgentResult> StopAsync(CancellationToken cancellationToken) =>
        ActionAsync("stop", Spec.StopTimeout, TimeSpan.Zero, cancellationToken);

    /// <inheritdoc />
    public override Task<AgentResult> MonitorAsync(CancellationToken cancellationToken) =>
        ActionAsync("monitor", Spec.MonitorTimeout, Spec.MonitorInterval, cancellationToken);

    /// <summary>A probe: a monitor with interval 0, which agents treat as "is it running here at all?".</summary>
    /// <param name="cancellationToken">Cancels the action.</param>
    /// <returns>The state.</returns>
    public Task<AgentResult> ProbeAsync(CancellationToken cancellationToken) =>
        ActionAsync("monitor", Spec.MonitorTimeout, TimeSpan.Zero, cancellationToken);

    /// <inheritdoc />
    public override Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) =>
        ActionAsync("validate-all", Spec.StartTimeout, TimeSpan.Zero, cancellationToken);

    /// <inheritdoc />
    public override Task<AgentResult> MetaDataAsync(CancellationToken cancellationToken) =>
        ActionAsync("meta-data", Spec.MonitorTimeout, TimeSpan.Zero, cancellationToken);

    /// <summary>Runs any action of the agent (for example <c>promote</c> or <c>notify</c>).</summary>
    /// <param name="action">The action.</param>
    /// <param name="timeout">Its time limit.</param>
    /// <param name="interval">The operation interval reported as <c>OCF_RESKEY_CRM_meta_interval</c>.</param>
    /// <param name="cancellationToken">Cancels the action.</param>
    /// <returns>The mapped exit code and output.</returns>
    public async Task<AgentResult> ActionAsync(string action, TimeSpan timeout, TimeSpan interval, CancellationToken cancellationToken)
    {
        var (exit, output, failure) = await RunAsync(action, [action], timeout, Environment(action, timeout, interval), cancellationToken)
            .ConfigureAwait(false);
        return failure ?? new AgentResult(MapExitCode(exit!.Value), output) { ExitCode = exit };
    }

    /// <summary>The OCF meaning of an exit code; unknown codes are generic errors.</summary>
    /// <param name="exitCode">The exit code.</param>
    /// <returns>The code.</returns>
    public static AgentCode MapExitCode(int exitCode) =>
        exitCode is >= 0 and <= 9 or 190 or 191 ? (AgentCode)exitCode : AgentCode.GenericError;

    /// <summary>The environment an OCF agent expects (OCF resource agent API and Pacemaker's additions).</summary>
    /// <param name="action">The action.</param>
    /// <param name="timeout">Its time limit.</param>
    /// <param name="interval">Its interval; zero for probes and non-recurring actions.</param>
    /// <returns>The variables.</returns>
    public IReadOnlyDictionary<string, string> Environment(string action, TimeSpan timeout, TimeSpan interval)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OCF_ROOT"] = Context.OcfRoot,
            ["OCF_FUNCTIONS_DIR"] = Path.Combine(Context.OcfRoot, "lib", "heartbeat"),
            ["OCF_RA_VERSION_MAJOR"] = "1",
            ["OCF_RA_VERSION_MINOR"] = "1",
            ["OCF_RESOURCE_INSTANCE"] = Spec.Id,
            ["OCF_RESOURCE_TYPE"] = Spec.Agent,
            ["OCF_RESOURCE_PROVIDER"] = Provider,
            ["OCF_EXIT_REASON_PREFIX"] = "ocf-exit-reason:",
            ["OCF_RESKEY_crm_feature_set"] = "3.16.2",
            ["OCF_RESKEY_CRM_meta_name"] = action,
            ["OCF_RESKEY_CRM_meta_timeout"] = ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            ["OCF_RESKEY_CRM_meta_interval"] = ((long)interval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            ["OCF_RESKEY_CRM_meta_on_node"] = Context.NodeName,
            ["OCF_RESKEY_CRM_meta_on_node_uuid"] = Context.NodeName,
            ["HA_LOGTAG"] = $"tandem-{Spec.Id}",
        };
        foreach (var (key, value) in Spec.Parameters)
        {
            env["OCF_RESKEY_" + key] = value;
        }
        return env;
    }
}
