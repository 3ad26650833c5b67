using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Resources.Agents;

/// <summary>The common part of agents that are programs: run one action with its timeout, map the exit code.</summary>
public abstract class ScriptAgent : IResourceAgent
{
    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="runner">Runs the program; null for the default runner.</param>
    protected ScriptAgent(ResourceSpec spec, AgentContext context, ChildProcessRunner? runner)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        Spec = spec;
        Context = context;
        Runner = runner ?? ChildProcessRunner.Default;
    }

    /// <inheritdoc />
    public ResourceSpec Spec { get; }

    /// <summary>Node and group facts.</summary>
    protected AgentContext Context { get; }

    /// <summary>Runs the program.</summary>
    protected ChildProcessRunner Runner { get; }

    /// <inheritdoc />
    public abstract string Describe { get; }

    /// <summary>The program's path, or null when it cannot be found on this host.</summary>
    public abstract string? ProgramPath { get; }

    /// <inheritdoc />
    public abstract Task<AgentResult> StartAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public abstract Task<AgentResult> StopAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public abstract Task<AgentResult> MonitorAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public virtual Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(ProgramPath is null ? NotInstalled() : AgentResult.Ok());

    /// <inheritdoc />
    public virtual Task<AgentResult> MetaDataAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new AgentResult(AgentCode.Unimplemented, $"{Describe} has no meta-data"));

    /// <summary>The result for a missing program.</summary>
    /// <returns>A <see cref="AgentCode.NotInstalled"/> result.</returns>
    protected AgentResult NotInstalled() => new(AgentCode.NotInstalled, $"{Describe}: the program was not found or is not executable");

    /// <summary>Runs the program with the given arguments.</summary>
    /// <param name="action">The action name, for messages.</param>
    /// <param name="arguments">The arguments.</param>
    /// <param name="timeout">The action's time limit.</param>
    /// <param name="environment">Extra environment.</param>
    /// <param name="cancellationToken">Kills the program when cancelled.</param>
    /// <returns>The exit code (null when killed) and output, or a ready-made failure.</returns>
    protected async Task<(int? ExitCode, string Output, AgentResult? Failure)> RunAsync(
        string action, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken)
    {
        var path = ProgramPath;
        if (path is null)
        {
            return (null, "", NotInstalled());
        }
        var outcome = await Runner.RunAsync(new ProcessRequest(path, arguments, timeout)
        {
            Environment = environment ?? new Dictionary<string, string>(),
        }, cancellationToken).ConfigureAwait(false);
        if (outcome.StartError is not null)
        {
            return (null, "", new AgentResult(AgentCode.NotInstalled, $"{Describe}: {action} could not start: {outcome.StartError}"));
        }
        if (outcome.Cancelled)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (outcome.TimedOut)
        {
            return (null, outcome.Output, AgentResult.Timeout($"{Describe} {action}", timeout, outcome.Output));
        }
        return (outcome.ExitCode, outcome.Output, null);
    }

    /// <summary>True when a file exists and has an execute bit.</summary>
    /// <param name="path">The file.</param>
    /// <returns>Whether it can be run.</returns>
    protected static bool IsExecutable(string path) =>
        !OperatingSystem.IsWindows() && File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
