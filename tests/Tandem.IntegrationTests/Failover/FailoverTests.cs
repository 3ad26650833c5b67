using Xunit;

namespace Tandem.IntegrationTests.Failover;

/// <summary>
/// Failover of a resource group between two real daemons on loopback: placement on the preferred
/// node, takeover after a crash (fenced first), a failed fence and the operator's confirmation,
/// standby, auto_failback on and off, and a monitor failure restarted in place. Every test asserts
/// from the scripts' own records that the group never ran on both nodes.
/// </summary>
public sealed class FailoverTests
{
    private const string G = FailoverCluster.Group;
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Started_together_the_group_runs_on_its_preferred_node_within_2_s_and_never_on_both()
    {
        await using var cluster = FailoverCluster.Create("on", fencing: true);
        await cluster.StartBothAsync();

        var started = await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        var up1 = await cluster.Events("fo1").WaitAsync("daemon.started", "daemon", Soon);
        var up2 = await cluster.Events("fo2").WaitAsync("daemon.started", "daemon", Soon);
        var bothUp = up1.Time > up2.Time ? up1.Time : up2.Time;
        TestContext.Current.TestOutputHelper?.WriteLine($"group.started {(started.Time - bothUp).TotalMilliseconds:0} ms after both daemons were up");
        Assert.True(started.Time - bothUp < TimeSpan.FromSeconds(2),
            $"the group started {(started.Time - bothUp).TotalMilliseconds:0} ms after both nodes were up");

        var fo2 = await cluster.Events("fo2").WaitAsync("resources.stable", "fo2", Soon);
        Assert.Contains($"{G} on fo1", fo2.Reason, StringComparison.Ordinal);
        var group = await cluster.GroupStatusAsync("fo2");
        Assert.Equal("stopped", (string?)group["state"]);
        Assert.Equal("fo1", (string?)group["holder"]);
        var here = await cluster.GroupStatusAsync("fo1");
        Assert.Equal("running", (string?)here["state"]);
        Assert.Equal("fo1", (string?)here["runningOn"]);

        var records = cluster.ReadRecords();
        Assert.Single(records, r => r.Action == "start");
        Assert.DoesNotContain(records, r => r.Node == "fo2");
        Assert.DoesNotContain(cluster.Events("fo2").All, e => e.Kind == "group.starting");
        cluster.AssertNeverOnBoth();
    }

    [Fact]
    public async Task Sigkill_of_the_active_node_the_survivor_fences_it_then_starts_the_group()
    {
        await using var cluster = FailoverCluster.Create("off", fencing: true);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);

        await cluster.KillAsync("fo1");
        var fenced = await cluster.Events("fo2").WaitAsync("fencing.succeeded", "fo1", Soon);
        var started = await cluster.Events("fo2").WaitAsync("group.started", G, Soon);
        Assert.True(fenced.Sequence < started.Sequence, cluster.Events("fo2").Describe());
        var dead = await cluster.Events("fo2").WaitAsync("node.dead", "fo1", Soon);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"node.dead -> fencing.succeeded {(fenced.Time - dead.Time).TotalMilliseconds:0} ms, -> group.started {(started.Time - dead.Time).TotalMilliseconds:0} ms");

        var records = cluster.ReadRecords();
        var fence = Assert.Single(records, r => r.Action == "fenced");
        Assert.Equal("fo1", fence.Node);
        var start2 = Assert.Single(records, r => r is { Node: "fo2", Action: "start" });
        Assert.True(fence.Nanoseconds < start2.Nanoseconds, "fo2 started the group before fo1 was fenced");
        cluster.AssertNeverOnBoth();
        Assert.Equal("fo2", (string?)(await cluster.GroupStatusAsync("fo2"))["runningOn"]);
    }

    [Fact]
    public async Task A_failed_fence_blocks_the_takeover_and_says_why_until_an_operator_confirms()
    {
        await using var cluster = FailoverCluster.Create("off", fencing: true);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        File.WriteAllText(cluster.FenceFailsFlag, "");

        await cluster.KillAsync("fo1");
        await cluster.Events("fo2").WaitAsync("fencing.attempt-failed", "fo1", Soon);
        await cluster.Events("fo2").WaitAsync("resources.takeover-pending", "fo1", Soon);

        // No takeover: the group stays down, and status says why.
        var group = await cluster.GroupStatusAsync("fo2");
        Assert.Equal("stopped", (string?)group["state"]);
        var blocked = (string?)group["blocked"];
        Assert.NotNull(blocked);
        Assert.Contains("fencing", blocked, StringComparison.Ordinal);
        Assert.Contains("the power switch does not answer", blocked, StringComparison.Ordinal);
        var status = await cluster.StatusAsync("fo2");
        Assert.False((bool)status["fencing"]!["last"]!["fo1"]!["success"]!);
        Assert.Contains($"take over {G} from fo1", status["failover"]!["takeover"]!.GetValue<string>(), StringComparison.Ordinal);
        await using (var text = await cluster.CliAsync("fo2", "status"))
        {
            Assert.True(text.ExitCode == 0, text.ToString());
            Assert.Contains("waiting: ", text.Stdout, StringComparison.Ordinal);
            Assert.Contains("last fencing of fo1: FAILED", text.Stdout, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(cluster.ReadRecords(), r => r.Node == "fo2");

        var before = cluster.Events("fo2").Last;
        await using (var confirm = await cluster.CliAsync("fo2", "fence", "confirm", "fo1"))
        {
            Assert.True(confirm.ExitCode == 0, confirm.ToString());
            Assert.Contains(G, confirm.Stdout, StringComparison.Ordinal);
        }
        await cluster.Events("fo2").WaitAsync("fencing.operator-confirmed", "fo1", Soon, before);
        await cluster.Events("fo2").WaitAsync("group.started", G, Soon, before);
        Assert.Null((string?)(await cluster.GroupStatusAsync("fo2"))["blocked"]);
        Assert.DoesNotContain(cluster.ReadRecords(), r => r.Action == "fenced");
    }

    [Fact]
    public async Task Standby_moves_the_group_stopping_it_here_before_the_peer_starts_it()
    {
        await using var cluster = FailoverCluster.Create("on", fencing: true);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        await cluster.Events("fo2").WaitAsync("resources.stable", "fo2", Soon);

        await using (var standby = await cluster.CliAsync("fo1", "standby"))
        {
            Assert.True(standby.ExitCode == 0, standby.ToString());
            Assert.Contains(G, standby.Stdout, StringComparison.Ordinal);
        }
        await cluster.Events("fo2").WaitAsync("group.started", G, Soon);
        await cluster.Events("fo1").WaitAsync("group.stopped", G, Soon);

        var records = cluster.ReadRecords();
        var stop1 = Assert.Single(records, r => r is { Node: "fo1", Action: "stop" });
        var start2 = Assert.Single(records, r => r is { Node: "fo2", Action: "start" });
        Assert.True(stop1.Nanoseconds < start2.Nanoseconds, $"fo2 started at {start2.Nanoseconds} before fo1 stopped at {stop1.Nanoseconds}");
        cluster.AssertNeverOnBoth();
        Assert.Equal("fo2", (string?)(await cluster.GroupStatusAsync("fo1"))["runningOn"]);
        Assert.DoesNotContain(cluster.Events("fo2").All, e => e.Kind.StartsWith("fencing.", StringComparison.Ordinal) && e.Kind != "fencing.ready");
    }

    [Fact]
    public async Task With_auto_failback_on_the_group_returns_to_its_restarted_preferred_node()
    {
        await using var cluster = FailoverCluster.Create("on", fencing: true);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);

        // A clean stop: fo1 releases the group, fo2 takes it at once without fencing.
        await cluster.StopAsync("fo1");
        await cluster.Events("fo2").WaitAsync("fencing.unneeded", "fo1", Soon);
        var took = await cluster.Events("fo2").WaitAsync("group.started", G, Soon);

        await cluster.StartAsync("fo1");
        await cluster.Events("fo2").WaitAsync("group.failback", G, Soon, took.Sequence);
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        await cluster.Events("fo2").WaitAsync("group.stopped", G, Soon, took.Sequence);

        Assert.Equal("fo1", (string?)(await cluster.GroupStatusAsync("fo1"))["runningOn"]);
        cluster.AssertNeverOnBoth();
        Assert.DoesNotContain(cluster.ReadRecords(), r => r.Action == "fenced");
    }

    [Fact]
    public async Task With_auto_failback_off_the_group_stays_where_it_is_when_the_preferred_node_returns()
    {
        await using var cluster = FailoverCluster.Create("off", fencing: true);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);

        await cluster.StopAsync("fo1");
        var took = await cluster.Events("fo2").WaitAsync("group.started", G, Soon);

        await cluster.StartAsync("fo1");
        // fo2 publishes peer-joined after it has applied auto_failback to fo1's first state.
        await cluster.Events("fo2").WaitAsync("resources.peer-joined", "fo1", Soon, took.Sequence);
        await cluster.Events("fo1").WaitAsync("resources.stable", "fo1", Soon);

        Assert.DoesNotContain(cluster.Events("fo2").All, e => e.Sequence > took.Sequence && e.Kind is "group.failback" or "group.stopping");
        Assert.Equal("fo2", (string?)(await cluster.GroupStatusAsync("fo2"))["runningOn"]);
        Assert.Equal("fo2", (string?)(await cluster.GroupStatusAsync("fo1"))["runningOn"]);
        Assert.DoesNotContain(cluster.Events("fo1").All, e => e.Kind == "group.starting");
        cluster.AssertNeverOnBoth();
    }

    [Fact]
    public async Task A_monitor_failure_restarts_the_resource_in_place()
    {
        await using var cluster = FailoverCluster.Create("on", fencing: true);
        await cluster.StartBothAsync();
        var started = await cluster.Events("fo1").WaitAsync("group.started", G, Soon);

        // Dummy's state file is its whole "service": removing it makes the next monitor fail.
        var state = Directory.GetFiles(cluster.RscTmp("fo1"), "Dummy-*.state").Single();
        File.Delete(state);
        await cluster.Events("fo1").WaitAsync("resource.failed", "dummy", Soon, started.Sequence);
        await cluster.Events("fo1").WaitAsync("resource.restarted", "dummy", Soon, started.Sequence);

        var group = await cluster.GroupStatusAsync("fo1");
        Assert.Equal("running", (string?)group["state"]);
        var dummy = group["resources"]!.AsArray().Single(r => (string?)r!["id"] == "dummy")!;
        Assert.Equal(1, (int)dummy["restarts"]!);
        Assert.NotNull((string?)dummy["lastFailure"]);
        Assert.True(File.Exists(state), "Dummy was not started again");
        Assert.DoesNotContain(cluster.ReadRecords(), r => r.Node == "fo2");
        Assert.DoesNotContain(cluster.Events("fo1").All, e => e.Kind == "group.move-required");
    }

    [Fact]
    public async Task Without_fencing_a_frozen_node_is_taken_over_with_a_warning_and_the_duplicate_stops_on_the_non_preferred_node()
    {
        await using var cluster = FailoverCluster.Create("off", fencing: false);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        await cluster.Events("fo2").WaitAsync("resources.stable", "fo2", Soon);

        // SIGSTOP looks like a partition: fo1 goes silent but keeps its group.
        cluster.Daemon("fo1").Signal(19);
        try
        {
            await cluster.Events("fo2").WaitAsync("fencing.disabled", "fo1", Soon);
            await cluster.Events("fo2").WaitAsync("group.started", G, Soon);
        }
        finally
        {
            cluster.Daemon("fo1").Signal(18);
        }

        var kept = await cluster.Events("fo1").WaitAsync("group.dual-active", G, Soon);
        var stopped = await cluster.Events("fo2").WaitAsync("group.dual-active", G, Soon);
        Assert.Equal("fo1", kept.Data!["kept"]);
        Assert.Equal("fo2", stopped.Data!["stopped"]);
        await cluster.Events("fo2").WaitAsync("group.stopped", G, Soon);

        Assert.Equal("running", (string?)(await cluster.GroupStatusAsync("fo1"))["state"]);
        Assert.Equal("stopped", (string?)(await cluster.GroupStatusAsync("fo2"))["state"]);
        Assert.DoesNotContain(cluster.Events("fo1").All, e => e.Kind == "group.stopping");
        Assert.False(cluster.Daemon("fo1").HasExited);
        Assert.False(cluster.Daemon("fo2").HasExited);
    }

    [Fact]
    public async Task Takeover_on_the_other_node_moves_the_group_and_legacy_failback_brings_it_home_on_rejoin()
    {
        await using var cluster = FailoverCluster.Create("legacy", fencing: true);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        await cluster.Events("fo2").WaitAsync("resources.stable", "fo2", Soon);

        await using (var takeover = await cluster.CliAsync("fo2", "takeover", "foreign"))
        {
            Assert.True(takeover.ExitCode == 0, takeover.ToString());
        }
        var moved = await cluster.Events("fo2").WaitAsync("group.started", G, Soon);
        var stop1 = Assert.Single(cluster.ReadRecords(), r => r is { Node: "fo1", Action: "stop" });
        var start2 = Assert.Single(cluster.ReadRecords(), r => r is { Node: "fo2", Action: "start" });
        Assert.True(stop1.Nanoseconds < start2.Nanoseconds);

        // legacy: the preferred node asks for its groups when it joins.
        await cluster.StopAsync("fo1");
        await cluster.StartAsync("fo1");
        await cluster.Events("fo1").WaitAsync("group.failback", G, Soon);
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        await cluster.Events("fo2").WaitAsync("group.stopped", G, Soon, moved.Sequence);
        cluster.AssertNeverOnBoth();

        await using var refused = await cluster.CliAsync("fo1", "standby", "sideways");
        Assert.Equal(2, refused.ExitCode);
    }

    [Fact]
    public async Task A_monitor_failing_beyond_the_restart_limit_moves_the_group_to_the_peer()
    {
        await using var cluster = FailoverCluster.Create("off", fencing: true);
        await cluster.StartBothAsync();
        var after = (await cluster.Events("fo1").WaitAsync("group.started", G, Soon)).Sequence;
        await cluster.Events("fo2").WaitAsync("resources.stable", "fo2", Soon);

        // Three restarts in place are allowed (GroupPolicy.MaxRestarts); the fourth failure moves the group.
        for (var i = 0; i < 3; i++)
        {
            File.Delete(Directory.GetFiles(cluster.RscTmp("fo1"), "Dummy-*.state").Single());
            after = (await cluster.Events("fo1").WaitAsync("resource.restarted", "dummy", Soon, after)).Sequence;
        }
        File.Delete(Directory.GetFiles(cluster.RscTmp("fo1"), "Dummy-*.state").Single());
        await cluster.Events("fo1").WaitAsync("group.move-required", G, Soon, after);
        await cluster.Events("fo1").WaitAsync("group.moving", G, Soon, after);
        await cluster.Events("fo2").WaitAsync("group.started", G, Soon);

        var here = await cluster.GroupStatusAsync("fo1");
        Assert.True((bool)here["failedHere"]!);
        Assert.Equal("fo2", (string?)here["runningOn"]);
        cluster.AssertNeverOnBoth();
        Assert.DoesNotContain(cluster.ReadRecords(), r => r.Action == "fenced");
    }

    [Fact]
    public async Task A_start_that_fails_on_the_preferred_node_hands_the_group_to_the_peer_and_one_that_fails_on_both_stays_down()
    {
        await using var cluster = FailoverCluster.Create("on", fencing: true);
        File.WriteAllText(cluster.FailStartFlag("fo1"), "");
        await cluster.StartBothAsync();

        var failed1 = await cluster.Events("fo1").WaitAsync("group.start-failed", G, Soon);
        await cluster.Events("fo2").WaitAsync("group.started", G, Soon);
        cluster.AssertNeverOnBoth();

        // Now it fails on fo2 too. A standby hands it to fo1, where it fails again; back on fo2 it
        // fails as well, and there it stays down instead of bouncing between the nodes.
        File.WriteAllText(cluster.FailStartFlag("fo2"), "");
        await using (var standby = await cluster.CliAsync("fo2", "standby"))
        {
            Assert.True(standby.ExitCode == 0, standby.ToString());
        }
        await cluster.Events("fo2").WaitAsync("group.unrunnable", G, Soon);
        var group = await cluster.GroupStatusAsync("fo2");
        Assert.Null((string?)group["runningOn"]);
        Assert.Contains("failed", (string?)group["blocked"], StringComparison.Ordinal);
        await cluster.Events("fo1").WaitAsync("group.start-failed", G, Soon, failed1.Sequence);
        Assert.Single(cluster.Events("fo2").All, e => e.Kind == "group.start-failed");
        Assert.Equal("failed", (string?)(await cluster.GroupStatusAsync("fo1"))["state"]);
    }

    [Fact]
    public async Task A_failed_fence_is_retried_and_the_takeover_follows_the_first_success()
    {
        await using var cluster = FailoverCluster.Create("off", fencing: true);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        File.WriteAllText(cluster.FenceFailsFlag, "");

        await cluster.KillAsync("fo1");
        var failed = await cluster.Events("fo2").WaitAsync("fencing.attempt-failed", "fo1", Soon);
        await cluster.Events("fo2").WaitAsync("fencing.retry", "fo1", Soon, failed.Sequence);
        Assert.DoesNotContain(cluster.ReadRecords(), r => r.Node == "fo2");

        // The power switch answers again: the next round fences, and only then does fo2 start the group.
        File.Delete(cluster.FenceFailsFlag);
        var fenced = await cluster.Events("fo2").WaitAsync("fencing.succeeded", "fo1", TimeSpan.FromSeconds(30), failed.Sequence);
        var started = await cluster.Events("fo2").WaitAsync("group.started", G, Soon);
        Assert.True(fenced.Sequence < started.Sequence);
        cluster.AssertNeverOnBoth();
    }

    [Fact]
    public async Task A_stop_that_fails_gets_the_node_fenced_by_its_peer_which_then_takes_the_group_over()
    {
        await using var cluster = FailoverCluster.Create("off", fencing: true);
        await cluster.StartBothAsync();
        await cluster.Events("fo1").WaitAsync("group.started", G, Soon);
        await cluster.Events("fo2").WaitAsync("resources.stable", "fo2", Soon);
        File.WriteAllText(cluster.FailStopFlag("fo1"), "");

        await using (var standby = await cluster.CliAsync("fo1", "standby"))
        {
            Assert.True(standby.ExitCode == 0, standby.ToString());
        }
        await cluster.Events("fo1").WaitAsync("group.stop-failed", G, Soon);
        await cluster.Events("fo1").WaitAsync("group.fence-requested", G, Soon);
        var fenced = await cluster.Events("fo2").WaitAsync("fencing.succeeded", "fo1", Soon);
        var started = await cluster.Events("fo2").WaitAsync("group.started", G, Soon);
        Assert.True(fenced.Sequence < started.Sequence);

        // The fence device powered fo1 off (killed its daemon); the group never ran twice.
        await cluster.Daemon("fo1").WaitForExitAsync(TimeSpan.FromSeconds(10));
        var records = cluster.ReadRecords();
        Assert.DoesNotContain(records, r => r is { Node: "fo1", Action: "stop" });
        var fence = Assert.Single(records, r => r.Action == "fenced");
        Assert.True(fence.Nanoseconds < Assert.Single(records, r => r is { Node: "fo2", Action: "start" }).Nanoseconds);
        cluster.AssertNeverOnBoth();
    }
}
