using System.Text.RegularExpressions;
using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Resources.Agents;

/// <summary>
/// A Heartbeat R1 script: <c>PATH ARGS... start|stop|status</c>. By default status is read from the
/// text it prints, as Heartbeat's ResourceManager read it; <c>Parameters["status"] = "exit-code"</c>
/// switches to LSB exit codes (0 running, 3 stopped, anything else failed).
/// </summary>
public sealed partial class HeartbeatScriptAgent : ScriptAgent
{
    private readonly string? _path;

    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource: <c>Parameters["path"]</c>, or the first of the context's script directories holding it.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="runner">Runs the program; null for the default runner.</param>
    public HeartbeatScriptAgent(ResourceSpec spec, AgentContext context, ChildProcessRunner? runner = null)
        : base(spec, context, runner)
    {
        _path = spec.Parameters.TryGetValue("path", out var p)
            ? p
            : context.ScriptDirectories.Select(d => Path.Combine(d, spec.Agent)).FirstOrDefault(IsExecutable);
        UseExitCodes = spec.Parameters.TryGetValue("status", out var mode) && mode == "exit-code";
    }

    /// <summary>True when status is read from the exit code instead of the text.</summary>
    public bool UseExitCodes { get; }

    /// <inheritdoc />
    public override string Describe => $"heartbeat:{Spec.Agent}";

    /// <inheritdoc />
    public override string? ProgramPath => _path is not null && IsExecutable(_path) ? _path : null;

    /// <inheritdoc />
    public override async Task<AgentResult> StartAsync(CancellationToken cancellationToken)
    {
        var (exit, output, failure) = await RunAsync("start", [.. Spec.Arguments, "start"], Spec.StartTimeout, null, cancellationToken).ConfigureAwait(false);
        return failure ?? new AgentResult(exit == 0 ? AgentCode.Success : AgentCode.GenericError, output) { ExitCode = exit };
    }

    /// <inheritdoc />
    public override async Task<AgentResult> StopAsync(CancellationToken cancellationToken)
    {
        var (exit, output, failure) = await RunAsync("stop", [.. Spec.Arguments, "stop"], Spec.StopTimeout, null, cancellationToken).ConfigureAwait(false);
        return failure ?? new AgentResult(exit == 0 ? AgentCode.Success : AgentCode.GenericError, output) { ExitCode = exit };
    }

    /// <inheritdoc />
    public override async Task<AgentResult> MonitorAsync(CancellationToken cancellationToken)
    {
        var (exit, output, failure) = await RunAsync("status", [.. Spec.Arguments, "status"], Spec.MonitorTimeout, null, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }
        var code = UseExitCodes ? LsbAgent.MapStatusCode(exit!.Value) : StatusFromText(output);
        return new AgentResult(code, output) { ExitCode = exit };
    }

    /// <summary>
    /// Heartbeat's reading of a status output (ResourceManager <c>we_own_resource</c>): "not running"
    /// means stopped, "running" or "OK" means running, anything else means stopped.
    /// </summary>
    /// <param name="output">What the script printed.</param>
    /// <returns><see cref="AgentCode.Success"/> or <see cref="AgentCode.NotRunning"/>.</returns>
    public static AgentCode StatusFromText(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (NotRunningPattern().IsMatch(output))
        {
            return AgentCode.NotRunning;
        }
        return RunningPattern().IsMatch(output) || output.Contains("OK", StringComparison.Ordinal) ? AgentCode.Success : AgentCode.NotRunning;
    }

    [GeneratedRegex("[Nn][Oo][Tt] *[Rr]unning")]
    private static partial Regex NotRunningPattern();

    [GeneratedRegex("[Rr]unning")]
    private static partial Regex RunningPattern();
}
