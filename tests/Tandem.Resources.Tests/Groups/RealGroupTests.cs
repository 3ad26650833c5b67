using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Groups;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Resources.Tests.Groups;

/// <summary>A group of real agents: OCF Dummy, an R1 script, an LSB script and MailTo to a local sink.</summary>
public sealed class RealGroupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Real_agents_start_in_order_stop_in_reverse_and_mail_says_why()
    {
        if (!File.Exists("/usr/lib/ocf/resource.d/heartbeat/Dummy") || !SmtpSink.Available)
        {
            Assert.Skip("needs resource-agents and python3-aiosmtpd");
        }
        using var dir = new TempDir();
        await using var sink = await SmtpSink.StartAsync(Ct);
        var order = dir.File("order");
        var r1 = dir.Script("r1", $$"""
            case "$2" in
              start) echo "start r1 $1" >> {{order}}; touch {{dir.File("r1.on")}} ;;
              stop) echo "stop r1" >> {{order}}; rm -f {{dir.File("r1.on")}} ;;
              status) [ -f {{dir.File("r1.on")}} ] && echo running || echo "not running" ;;
            esac
            """);
        var lsb = dir.Script("lsb", $$"""
            case "$1" in
              start) echo "start lsb" >> {{order}}; touch {{dir.File("lsb.on")}} ;;
              stop) echo "stop lsb" >> {{order}}; rm -f {{dir.File("lsb.on")}} ;;
              status) [ -f {{dir.File("lsb.on")}} ] || exit 3 ;;
            esac
            """);
        var group = new GroupSpec("web", "alice",
        [
            new ResourceSpec("Dummy", "Dummy") { Class = AgentClass.Ocf, Provider = "heartbeat", Parameters = new Dictionary<string, string> { ["state"] = dir.File("dummy.state") } },
            new ResourceSpec("r1", "r1") { Class = AgentClass.Heartbeat, Arguments = ["x"], Parameters = new Dictionary<string, string> { ["path"] = r1 } },
            new ResourceSpec("lsb", "lsb") { Class = AgentClass.Lsb, Parameters = new Dictionary<string, string> { ["path"] = lsb } },
            new ResourceSpec("MailTo", "MailTo") { Class = AgentClass.BuiltIn, Arguments = ["ops@example.com"] },
        ]);
        var context = new AgentContext("alice", "web") { Notification = new NotificationSpec { SmtpRelay = $"127.0.0.1:{sink.Port}" } };
        var events = new RecordingEventSink();
        await using var runner = GroupRunner.Create(group, new AgentFactory(), context, events);

        var started = await runner.StartAsync("bob was fenced after it died", Ct);
        Assert.Equal(GroupOutcome.Started, started.Outcome);
        Assert.True(File.Exists(dir.File("dummy.state")));
        Assert.Contains("alice took over group web", await sink.NextMailAsync(Ct), StringComparison.Ordinal);

        var stopped = await runner.StopAsync("standby requested by an operator", Ct);
        Assert.Equal(GroupOutcome.Stopped, stopped.Outcome);
        var released = await sink.NextMailAsync(Ct);
        Assert.Contains("alice released group web", released, StringComparison.Ordinal);
        Assert.Contains("standby requested by an operator", released, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("dummy.state")));
        Assert.Equal(["start r1 x", "start lsb", "stop lsb", "stop r1"], File.ReadAllLines(order));
        Assert.All(runner.Resources, r => Assert.Equal(ResourceState.Stopped, r.State));
    }

    [Fact]
    public async Task A_stop_that_hangs_is_killed_retried_and_ends_in_fencing()
    {
        using var dir = new TempDir();
        var on = dir.File("on");
        var hang = dir.Script("hang", $$"""
            case "$1" in
              start) touch {{on}} ;;
              stop) sleep 60 ;;
              status) [ -f {{on}} ] || exit 3 ;;
            esac
            """);
        var spec = new ResourceSpec("hang", "hang")
        {
            Class = AgentClass.Lsb,
            Parameters = new Dictionary<string, string> { ["path"] = hang },
            StopTimeout = TimeSpan.FromMilliseconds(300),
        };
        var events = new RecordingEventSink();
        await using var runner = GroupRunner.Create(new GroupSpec("g", "alice", [spec]), new AgentFactory(), new AgentContext("alice", "g"), events,
            new GroupPolicy { StopRetries = 1, StopRetryDelay = TimeSpan.Zero });
        Assert.Equal(GroupOutcome.Started, (await runner.StartAsync("test", Ct)).Outcome);
        var result = await runner.StopAsync("test", Ct);
        Assert.Equal(GroupOutcome.StopFailedNeedsFencing, result.Outcome);
        Assert.Contains("timed out", result.Reason, StringComparison.Ordinal);
        var failed = await events.WaitAsync("resource.failed", "hang");
        Assert.Equal("true", failed.Data!["timedOut"]);
        Assert.Equal(1, events.Events.Count(e => e.Kind == "resource.stop-retry"));
    }
}
