using Tandem.Core.Model;

namespace Tandem.Resources.Agents;

/// <summary>
/// Drives one resource. Every action honours the resource's own timeout (<see cref="ResourceSpec.StartTimeout"/>,
/// <see cref="ResourceSpec.StopTimeout"/>, <see cref="ResourceSpec.MonitorTimeout"/>): on expiry the action's whole
/// process group is killed and the result says <see cref="AgentResult.TimedOut"/>. Actions are idempotent: start
/// of a running resource and stop of a stopped one succeed.
/// </summary>
public interface IResourceAgent
{
    /// <summary>The resource this agent drives.</summary>
    ResourceSpec Spec { get; }

    /// <summary>A short description for status and events (for example <c>ocf:heartbeat:Dummy</c>).</summary>
    string Describe { get; }

    /// <summary>Starts the resource.</summary>
    /// <param name="cancellationToken">Cancels the action (its processes are killed).</param>
    /// <returns>Success, or why it failed.</returns>
    Task<AgentResult> StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops the resource; success when it was not running.</summary>
    /// <param name="cancellationToken">Cancels the action (its processes are killed).</param>
    /// <returns>Success, or why it failed.</returns>
    Task<AgentResult> StopAsync(CancellationToken cancellationToken);

    /// <summary>Checks the resource: <see cref="AgentCode.Success"/> running, <see cref="AgentCode.NotRunning"/> stopped, anything else failed.</summary>
    /// <param name="cancellationToken">Cancels the action (its processes are killed).</param>
    /// <returns>The state.</returns>
    Task<AgentResult> MonitorAsync(CancellationToken cancellationToken);

    /// <summary>Checks the parameters on this host without touching the resource.</summary>
    /// <param name="cancellationToken">Cancels the action.</param>
    /// <returns>Success, or the code and reason the configuration is wrong.</returns>
    Task<AgentResult> ValidateAsync(CancellationToken cancellationToken);

    /// <summary>The agent's OCF meta-data XML, where it has any.</summary>
    /// <param name="cancellationToken">Cancels the action.</param>
    /// <returns>The XML in <see cref="AgentResult.Output"/>, or <see cref="AgentCode.Unimplemented"/>.</returns>
    Task<AgentResult> MetaDataAsync(CancellationToken cancellationToken);
}
