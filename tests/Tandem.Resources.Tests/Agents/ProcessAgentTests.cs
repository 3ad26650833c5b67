using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Groups;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class ProcessAgentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_monitor_stop_with_exact_codes()
    {
        var agent = new ProcessAgent(new ResourceSpec("p", "process") { Class = AgentClass.BuiltIn, Arguments = ["sleep", "300"] },
            new AgentContext("alice", "g1"));
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        var pid = agent.ProcessId!.Value;
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        Assert.Equal(pid, agent.ProcessId);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.True(Sh.IsDead(pid));
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
    }

    [Fact]
    public async Task Stop_escalates_to_SIGKILL_for_a_child_that_ignores_SIGTERM()
    {
        var agent = new ProcessAgent(new ResourceSpec("p", "process")
        {
            Class = AgentClass.BuiltIn,
            Parameters = new Dictionary<string, string> { ["command"] = "trap '' TERM; while :; do sleep 1; done" },
            StopTimeout = TimeSpan.FromSeconds(2),
        }, new AgentContext("alice", "g1"));
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        var pid = agent.ProcessId!.Value;
        var result = await agent.StopAsync(Ct);
        Assert.Equal(AgentCode.Success, result.Code);
        Assert.True(Sh.IsDead(pid), "the child ignoring SIGTERM survived the stop");
    }

    [Fact]
    public async Task Killed_child_is_detected_by_monitor_and_restarted_in_place_by_the_group()
    {
        var time = new FakeTimeProvider();
        var spec = new ResourceSpec("svc", "process") { Class = AgentClass.BuiltIn, Arguments = ["sleep", "300"], MonitorInterval = TimeSpan.FromSeconds(5) };
        var context = new AgentContext("alice", "g1");
        var agent = new ProcessAgent(spec, context);
        var events = new RecordingEventSink();
        await using var runner = new GroupRunner(new GroupSpec("g1", "alice", [spec]), [agent], context, events, new GroupPolicy(), time);
        var armed = new SemaphoreSlim(0);
        runner.MonitorArmed += () => armed.Release();
        Assert.Equal(GroupOutcome.Started, (await runner.StartAsync("test", Ct)).Outcome);
        var first = agent.ProcessId!.Value;

        using (var p = System.Diagnostics.Process.GetProcessById(first))
        {
            Sh.Must("kill", "-9", first.ToString(CultureInfo.InvariantCulture));
        }
        // The child is reaped asynchronously: keep ticking the monitor until it notices.
        var restarted = events.WaitAsync("resource.restarted", "svc");
        while (!restarted.IsCompleted)
        {
            Assert.True(await armed.WaitAsync(TimeSpan.FromSeconds(10), Ct), "the monitor loop did not arm its timer");
            time.Advance(spec.MonitorInterval);
            await Task.WhenAny(restarted, armed.AvailableWaitHandle.WaitOneAsync());
        }
        await restarted;
        var failed = await events.WaitAsync("resource.failed", "svc");
        Assert.Equal("monitor", failed.Data!["action"]);
        Assert.Contains("died", failed.Reason, StringComparison.Ordinal);
        var second = agent.ProcessId;
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
        Assert.Equal(GroupState.Running, runner.State);
        await runner.StopAsync("done", Ct);
        Assert.True(Sh.IsDead(second.Value));
    }
}

internal static class WaitHandleExtensions
{
    public static Task WaitOneAsync(this WaitHandle handle)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reg = ThreadPool.RegisterWaitForSingleObject(handle, (_, _) => tcs.TrySetResult(), null, TimeSpan.FromSeconds(10), true);
        _ = tcs.Task.ContinueWith(_ => reg.Unregister(null), TaskScheduler.Default);
        return tcs.Task;
    }
}
