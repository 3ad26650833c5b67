using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Groups;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Resources.Tests.Groups;

public sealed class GroupRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (GroupRunner Runner, FakeAgent[] Agents, ConcurrentQueue<string> Log, RecordingEventSink Events) Make(
        int count, GroupPolicy? policy = null, TimeProvider? time = null, TimeSpan? interval = null)
    {
        var log = new ConcurrentQueue<string>();
        var agents = Enumerable.Range(0, count).Select(i => new FakeAgent(((char)('a' + i)).ToString(), log, interval)).ToArray();
        var group = new GroupSpec("g1", "alice", [.. agents.Select(a => a.Spec)]);
        var events = new RecordingEventSink();
        var runner = new GroupRunner(group, agents, new AgentContext("alice", "g1"), events,
            policy ?? new GroupPolicy { StopRetryDelay = TimeSpan.Zero }, time);
        return (runner, agents, log, events);
    }

    private static string[] Actions(ConcurrentQueue<string> log) => [.. log.Where(l => !l.StartsWith("monitor", StringComparison.Ordinal))];

    [Fact]
    public async Task Starts_left_to_right_and_stops_right_to_left()
    {
        var (runner, _, log, events) = Make(3);
        var started = await runner.StartAsync("test", Ct);
        Assert.Equal(GroupOutcome.Started, started.Outcome);
        Assert.Equal(GroupState.Running, runner.State);
        Assert.Equal(["start a", "start b", "start c"], Actions(log));
        log.Clear();
        var stopped = await runner.StopAsync("test", Ct);
        Assert.Equal(GroupOutcome.Stopped, stopped.Outcome);
        Assert.Equal(["stop c", "stop b", "stop a"], Actions(log));
        Assert.Equal(["group.starting", "group.started", "group.stopping", "group.stopped"], events.Kinds.Where(k => k.StartsWith("group.", StringComparison.Ordinal)));
        Assert.Equal(3, events.Events.Count(e => e.Kind == "resource.started"));
    }

    [Fact]
    public async Task Skips_resources_that_already_run()
    {
        var (runner, agents, log, events) = Make(3);
        agents[1].Running = true;
        await runner.StartAsync("test", Ct);
        Assert.Equal(["start a", "start c"], Actions(log));
        Assert.Equal("b", (await events.WaitAsync("resource.running")).Subject);
    }

    [Fact]
    public async Task A_failed_start_stops_what_was_started_in_reverse_and_reports_the_group_failed()
    {
        var (runner, agents, log, events) = Make(4);
        agents[2].StartResult = () => new AgentResult(AgentCode.GenericError, "boom");
        var result = await runner.StartAsync("test", Ct);
        Assert.Equal(GroupOutcome.StartFailed, result.Outcome);
        Assert.Equal("c", result.FailedResource);
        Assert.Contains("boom", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["start a", "start b", "start c", "stop c", "stop b", "stop a"], Actions(log));
        Assert.Equal(GroupState.Failed, runner.State);
        var failed = await events.WaitAsync("resource.failed", "c");
        Assert.Equal("start", failed.Data!["action"]);
        await events.WaitAsync("group.start-failed");
        Assert.Contains("boom", runner.Resources[2].LastFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_stop_is_retried_then_needs_fencing()
    {
        var (runner, agents, log, events) = Make(3, new GroupPolicy { StopRetries = 2, StopRetryDelay = TimeSpan.Zero });
        await runner.StartAsync("test", Ct);
        agents[1].StopResult = () => new AgentResult(AgentCode.GenericError, "device busy");
        log.Clear();
        var result = await runner.StopAsync("test", Ct);
        Assert.Equal(GroupOutcome.StopFailedNeedsFencing, result.Outcome);
        Assert.Equal("b", result.FailedResource);
        // c stopped; b tried 1 + 2 retries; a is left alone: the node will be fenced.
        Assert.Equal(["stop c", "stop b", "stop b", "stop b"], Actions(log));
        Assert.Equal(GroupState.StopFailed, runner.State);
        Assert.Equal(ResourceState.StopFailed, runner.Resources[1].State);
        Assert.Equal(2, events.Events.Count(e => e.Kind == "resource.stop-retry"));
        await events.WaitAsync("group.stop-failed");
    }

    [Fact]
    public async Task A_failed_stop_of_a_resource_whose_monitor_says_stopped_is_accepted()
    {
        var (runner, agents, _, events) = Make(1, new GroupPolicy { StopRetries = 1, StopRetryDelay = TimeSpan.Zero });
        await runner.StartAsync("test", Ct);
        agents[0].StopResult = () => { agents[0].Running = false; return new AgentResult(AgentCode.GenericError, "not LSB compliant"); };
        Assert.Equal(GroupOutcome.Stopped, (await runner.StopAsync("test", Ct)).Outcome);
        Assert.Contains("not compliant", (await events.WaitAsync("resource.stopped")).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_that_throws_fails_its_action_instead_of_the_engine()
    {
        var (runner, agents, log, _) = Make(2);
        agents[1].StartResult = () => throw new InvalidOperationException("agent bug");
        var result = await runner.StartAsync("test", Ct);
        Assert.Equal(GroupOutcome.StartFailed, result.Outcome);
        Assert.Contains("agent bug", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["start a", "start b", "stop b", "stop a"], Actions(log));
    }

    [Fact]
    public async Task A_failed_rollback_needs_fencing()
    {
        var (runner, agents, _, _) = Make(2, new GroupPolicy { StopRetries = 0 });
        agents[0].StopResult = () => new AgentResult(AgentCode.GenericError, "stuck");
        agents[1].StartResult = () => new AgentResult(AgentCode.GenericError, "boom");
        Assert.Equal(GroupOutcome.StopFailedNeedsFencing, (await runner.StartAsync("test", Ct)).Outcome);
    }

    [Fact]
    public async Task A_failed_monitor_restarts_in_place_then_moves_the_group_at_the_limit()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var (runner, agents, log, events) = Make(3, new GroupPolicy { MaxRestarts = 2, RestartWindow = TimeSpan.FromMinutes(5), StopRetryDelay = TimeSpan.Zero },
            time, TimeSpan.FromSeconds(10));
        var armed = new SemaphoreSlim(0);
        runner.MonitorArmed += () => armed.Release();
        var recovery = new TaskCompletionSource<GroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.RecoveryNeeded = r => { recovery.TrySetResult(r); return Task.CompletedTask; };
        await runner.StartAsync("test", Ct);

        async Task TickAsync()
        {
            Assert.True(await armed.WaitAsync(TimeSpan.FromSeconds(10), Ct), "the monitor loop did not arm its timer");
            time.Advance(TimeSpan.FromSeconds(10));
        }

        // A healthy round: every resource monitored, nothing restarted.
        await TickAsync();
        await TickAsync();
        Assert.DoesNotContain(events.Events, e => e.Kind == "resource.failed");

        for (var round = 1; round <= 2; round++)
        {
            agents[1].Running = false;
            log.Clear();
            await TickAsync();
            var restarted = await events.WaitAsync("resource.restarted", "b", nth: round);
            Assert.Equal(["stop c", "stop b", "start b", "start c"], Actions(log));
            Assert.Equal(round, runner.Resources[1].Restarts);
            Assert.Equal(GroupState.Running, runner.State);
            Assert.Contains($"restart {round} of 2", restarted.Reason, StringComparison.Ordinal);
        }
        Assert.Equal(2, events.Events.Count(e => e.Kind == "resource.restarted"));

        agents[1].Running = false;
        log.Clear();
        await TickAsync();
        var result = await recovery.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(GroupOutcome.MoveRequired, result.Outcome);
        Assert.Equal("b", result.FailedResource);
        Assert.Equal(["stop c", "stop b", "stop a"], Actions(log));
        Assert.Equal(GroupState.Stopped, runner.State);
        await events.WaitAsync("group.move-required");
        await runner.DisposeAsync();
    }

    [Fact]
    public async Task Restarts_outside_the_window_are_forgotten()
    {
        var time = new FakeTimeProvider();
        var (runner, agents, _, events) = Make(1, new GroupPolicy { MaxRestarts = 1, RestartWindow = TimeSpan.FromSeconds(30), StopRetryDelay = TimeSpan.Zero },
            time, TimeSpan.FromSeconds(10));
        var armed = new SemaphoreSlim(0);
        runner.MonitorArmed += () => armed.Release();
        var moved = false;
        runner.RecoveryNeeded = _ => { moved = true; return Task.CompletedTask; };
        await runner.StartAsync("test", Ct);
        for (var i = 1; i <= 3; i++)
        {
            agents[0].Running = false;
            Assert.True(await armed.WaitAsync(TimeSpan.FromSeconds(10), Ct));
            time.Advance(TimeSpan.FromSeconds(10));
            await events.WaitAsync("resource.restarted", nth: i);
            // 40 s between failures: each restart is the only one in its window.
            Assert.True(await armed.WaitAsync(TimeSpan.FromSeconds(10), Ct));
            time.Advance(TimeSpan.FromSeconds(30));
        }
        Assert.False(moved);
        Assert.Equal(3, events.Events.Count(e => e.Kind == "resource.restarted"));
        await runner.StopAsync("done", Ct);
    }

    [Fact]
    public async Task Status_section_reports_groups_resources_and_last_failure()
    {
        var (runner, agents, _, _) = Make(2);
        agents[1].StartResult = () => new AgentResult(AgentCode.NotInstalled, "no binary");
        await runner.StartAsync("test", Ct);
        var section = new GroupsStatusSection();
        section.Register(runner);
        Assert.Equal("groups", section.Name);
        var g = Assert.Single(section.GetSnapshot());
        Assert.Equal("g1", g.Name);
        Assert.Equal("failed", g.State);
        Assert.Null(g.RunningOn);
        Assert.Equal("b", g.Resources[1].Id);
        Assert.Equal("stopped", g.Resources[1].State);
        Assert.Contains("no binary", g.Resources[1].LastFailure, StringComparison.Ordinal);

        agents[1].StartResult = null;
        await runner.StartAsync("again", Ct);
        var again = Assert.Single(section.GetSnapshot());
        Assert.Equal("alice", again.RunningOn);
        Assert.Equal("running", again.Resources[0].State);
    }
}
