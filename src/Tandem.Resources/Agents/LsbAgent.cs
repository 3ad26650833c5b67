using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Resources.Agents;

/// <summary>
/// An LSB init script: <c>start</c>, <c>stop</c>, <c>status</c>; status 0 running, 3 stopped, anything else
/// failed; a stop of a stopped service is success even when the script says otherwise.
/// </summary>
public sealed class LsbAgent : ScriptAgent
{
    private readonly string _path;

    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource: <c>Parameters["path"]</c>, or <c>/etc/init.d/AGENT</c>.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="runner">Runs the program; null for the default runner.</param>
    public LsbAgent(ResourceSpec spec, AgentContext context, ChildProcessRunner? runner = null)
        : base(spec, context, runner) =>
        _path = spec.Parameters.TryGetValue("path", out var p) ? p : Path.Combine("/etc/init.d", spec.Agent);

    /// <inheritdoc />
    public override string Describe => $"lsb:{Spec.Agent}";

    /// <inheritdoc />
    public override string? ProgramPath => IsExecutable(_path) ? _path : null;

    /// <inheritdoc />
    public override async Task<AgentResult> StartAsync(CancellationToken cancellationToken)
    {
        var (exit, output, failure) = await RunAsync("start", [.. Spec.Arguments, "start"], Spec.StartTimeout, null, cancellationToken).ConfigureAwait(false);
        return failure ?? new AgentResult(exit == 0 ? AgentCode.Success : MapActionCode(exit!.Value), output) { ExitCode = exit };
    }

    /// <inheritdoc />
    public override async Task<AgentResult> StopAsync(CancellationToken cancellationToken)
    {
        var (exit, output, failure) = await RunAsync("stop", [.. Spec.Arguments, "stop"], Spec.StopTimeout, null, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }
        if (exit == 0)
        {
            return new AgentResult(AgentCode.Success, output) { ExitCode = 0 };
        }
        // Many init scripts fail "stop" when nothing runs; LSB says that is success, so ask status.
        var status = await MonitorAsync(cancellationToken).ConfigureAwait(false);
        return status.Code == AgentCode.NotRunning
            ? new AgentResult(AgentCode.Success, $"stop exited {exit} but status says stopped: {output}") { ExitCode = exit }
            : new AgentResult(MapActionCode(exit!.Value), output) { ExitCode = exit };
    }

    /// <inheritdoc />
    public override async Task<AgentResult> MonitorAsync(CancellationToken cancellationToken)
    {
        var (exit, output, failure) = await RunAsync("status", [.. Spec.Arguments, "status"], Spec.MonitorTimeout, null, cancellationToken).ConfigureAwait(false);
        return failure ?? new AgentResult(MapStatusCode(exit!.Value), output) { ExitCode = exit };
    }

    /// <summary>The meaning of an LSB <c>status</c> exit code: 0 running, 3 stopped, anything else failed.</summary>
    /// <param name="exitCode">The exit code.</param>
    /// <returns>The code.</returns>
    public static AgentCode MapStatusCode(int exitCode) => exitCode switch
    {
        0 => AgentCode.Success,
        3 => AgentCode.NotRunning,
        _ => AgentCode.GenericError,
    };

    /// <summary>The meaning of a failed LSB start or stop exit code.</summary>
    /// <param name="exitCode">The exit code (not 0).</param>
    /// <returns>The code.</returns>
    public static AgentCode MapActionCode(int exitCode) => exitCode switch
    {
        2 => AgentCode.InvalidArguments,
        3 => AgentCode.Unimplemented,
        4 => AgentCode.InsufficientPrivileges,
        5 => AgentCode.NotInstalled,
        6 => AgentCode.NotConfigured,
        _ => AgentCode.GenericError,
    };
}
