using System.Collections.Concurrent;
using Tandem.Core.Model;
using Tandem.Resources.Agents;

namespace Tandem.Resources.Tests.Support;

/// <summary>An agent whose results a test sets; it records every call into a shared log.</summary>
public sealed class FakeAgent(string id, ConcurrentQueue<string> log, TimeSpan? monitorInterval = null) : IResourceAgent
{
    public bool Running { get; set; }

    public Func<AgentResult>? StartResult { get; set; }

    public Func<AgentResult>? StopResult { get; set; }

    /// <summary>When set, monitor reports this instead of the running flag.</summary>
    public Func<AgentResult>? MonitorResult { get; set; }

    public ResourceSpec Spec { get; } = new(id, "fake") { MonitorInterval = monitorInterval ?? TimeSpan.Zero };

    public string Describe => "fake:" + id;

    public Task<AgentResult> StartAsync(CancellationToken cancellationToken)
    {
        log.Enqueue("start " + id);
        var r = StartResult?.Invoke() ?? AgentResult.Ok();
        if (r.Succeeded)
        {
            Running = true;
        }
        return Task.FromResult(r);
    }

    public Task<AgentResult> StopAsync(CancellationToken cancellationToken)
    {
        log.Enqueue("stop " + id);
        var r = StopResult?.Invoke() ?? AgentResult.Ok();
        if (r.Succeeded)
        {
            Running = false;
        }
        return Task.FromResult(r);
    }

    public Task<AgentResult> MonitorAsync(CancellationToken cancellationToken)
    {
        log.Enqueue("monitor " + id);
        return Task.FromResult(MonitorResult?.Invoke() ?? (Running ? AgentResult.Ok() : new AgentResult(AgentCode.NotRunning, "stopped")));
    }

    public Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) => Task.FromResult(AgentResult.Ok());

    public Task<AgentResult> MetaDataAsync(CancellationToken cancellationToken) => Task.FromResult(new AgentResult(AgentCode.Unimplemented, ""));
}
