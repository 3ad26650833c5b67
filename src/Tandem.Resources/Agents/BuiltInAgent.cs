using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Resources.Agents;

/// <summary>The common part of agents built into Tandem: every action runs under its own timeout.</summary>
public abstract class BuiltInAgent : IResourceAgent
{
    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="time">The clock timeouts run on; null for the system clock.</param>
    protected BuiltInAgent(ResourceSpec spec, AgentContext context, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        Spec = spec;
        Context = context;
        Time = time ?? TimeProvider.System;
        Runner = new ChildProcessRunner(Time);
    }

    /// <inheritdoc />
    public ResourceSpec Spec { get; }

    /// <summary>Node and group facts.</summary>
    protected AgentContext Context { get; }

    /// <summary>The clock.</summary>
    protected TimeProvider Time { get; }

    /// <summary>Runs helper programs (mount, ip, ...).</summary>
    protected ChildProcessRunner Runner { get; }

    /// <inheritdoc />
    public virtual string Describe => $"builtin:{Spec.Agent}";

    /// <inheritdoc />
    public Task<AgentResult> StartAsync(CancellationToken cancellationToken) => WithTimeoutAsync("start", Spec.StartTimeout, StartCoreAsync, cancellationToken);

    /// <inheritdoc />
    public Task<AgentResult> StopAsync(CancellationToken cancellationToken) => WithTimeoutAsync("stop", Spec.StopTimeout, StopCoreAsync, cancellationToken);

    /// <inheritdoc />
    public Task<AgentResult> MonitorAsync(CancellationToken cancellationToken) => WithTimeoutAsync("monitor", Spec.MonitorTimeout, MonitorCoreAsync, cancellationToken);

    /// <inheritdoc />
    public virtual Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) => Task.FromResult(AgentResult.Ok());

    /// <inheritdoc />
    public virtual Task<AgentResult> MetaDataAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new AgentResult(AgentCode.Unimplemented, $"{Describe} is built in and has no meta-data"));

    /// <summary>Starts the resource; the token fires at the start timeout.</summary>
    /// <param name="cancellationToken">Fires on timeout or cancellation.</param>
    /// <returns>The result.</returns>
    protected abstract Task<AgentResult> StartCoreAsync(CancellationToken cancellationToken);

    /// <summary>Stops the resource; the token fires at the stop timeout.</summary>
    /// <param name="cancellationToken">Fires on timeout or cancellation.</param>
    /// <returns>The result.</returns>
    protected abstract Task<AgentResult> StopCoreAsync(CancellationToken cancellationToken);

    /// <summary>Checks the resource; the token fires at the monitor timeout.</summary>
    /// <param name="cancellationToken">Fires on timeout or cancellation.</param>
    /// <returns>The result.</returns>
    protected abstract Task<AgentResult> MonitorCoreAsync(CancellationToken cancellationToken);

    /// <summary>Runs a helper program; its group is killed when the action's token fires.</summary>
    /// <param name="program">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="cancellationToken">The action's token.</param>
    /// <returns>Its exit code (null when it could not run) and output.</returns>
    protected async Task<(int? ExitCode, string Output)> ExecAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        // The action's token carries the timeout; the runner's own limit is only a backstop.
        var outcome = await Runner.RunAsync(new ProcessRequest(program, arguments, TimeSpan.FromHours(1)), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return (outcome.ExitCode, outcome.StartError ?? outcome.Output);
    }

    private async Task<AgentResult> WithTimeoutAsync(string action, TimeSpan timeout, Func<CancellationToken, Task<AgentResult>> body, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            return await body(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return AgentResult.Timeout($"{Describe} {action}", timeout);
        }
    }
}
