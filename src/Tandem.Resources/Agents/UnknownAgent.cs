using Tandem.Core.Model;

namespace Tandem.Resources.Agents;

/// <summary>A built-in agent name Tandem does not know: every action fails as not installed, stop succeeds (nothing can run).</summary>
public sealed class UnknownAgent : BuiltInAgent
{
    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="context">Node and group facts.</param>
    public UnknownAgent(ResourceSpec spec, AgentContext context)
        : base(spec, context, null)
    {
    }

    /// <inheritdoc />
    protected override Task<AgentResult> StartCoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new AgentResult(AgentCode.NotInstalled, $"no built-in agent named {Spec.Agent}"));

    /// <inheritdoc />
    protected override Task<AgentResult> StopCoreAsync(CancellationToken cancellationToken) => Task.FromResult(AgentResult.Ok("never ran"));

    /// <inheritdoc />
    protected override Task<AgentResult> MonitorCoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new AgentResult(AgentCode.NotRunning, $"no built-in agent named {Spec.Agent}"));
}
