using Tandem.Resources.Groups;
using Tandem.Resources.Placement;
using Xunit;
using static Tandem.Resources.Tests.Placement.EngineCluster;

namespace Tandem.Resources.Tests.Placement;

/// <summary>When the peer dies, fencing, and failures on a node (docs/resources.md "When the peer dies", "Failures on a node", "After a partition").</summary>
public sealed partial class PlacementEngineTests
{
    [Fact]
    public void Peer_lost_its_groups_start_here_only_after_it_is_fenced()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        c.Crash("alpha"); // the daemon dies; what it started still runs until the fence powers it off
        c.SeeDead("beta", "alpha");
        c.Run();
        c.AssertRunsOn("web", "beta");
        c.AssertNeverTwice("web");
        Assert.Equal(["alpha"], c["beta"].Fenced);
        Assert.Single(c["beta"].EventsOf("resources.takeover-pending"));
    }

    [Fact]
    public void Peer_lost_holding_nothing_there_is_nothing_to_take_over()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        c.Crash("beta", powerOff: true);
        c.SeeDead("alpha", "beta");
        c.Run();
        c.AssertRunsOn("web", "alpha");
        Assert.Single(c["alpha"].EventsOf("resources.peer-lost"));
        Assert.DoesNotContain(c["alpha"].Commands, x => x is AuthorizeTakeover);
    }

    [Fact]
    public void Failed_fence_blocks_the_takeover_which_is_retried_every_5_s_until_a_fence_succeeds()
    {
        var c = Pair(fencing: FencePolicy.Fails);
        c.StartTogether("alpha", "beta");
        c.Crash("alpha");
        c.SeeDead("beta", "alpha");
        c.Run();
        c.AssertRunsOn("web", "alpha");
        Assert.Equal(PlacementState.AwaitingTakeover, c["beta"].Group("web").State);
        Assert.Contains("not taken over from alpha", c["beta"].Group("web").Waiting, StringComparison.Ordinal);
        Assert.Single(c["beta"].EventsOf("resources.takeover-blocked"));
        c.Advance(s_retry);
        Assert.Equal(2, c["beta"].FenceFailures);
        c.Fencing = FencePolicy.Succeeds;
        c.Advance(s_retry);
        c.AssertRunsOn("web", "beta");
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Peer_back_in_the_same_run_cancels_the_takeover_and_its_groups_stay_where_they_are()
    {
        var c = Pair(fencing: FencePolicy.Fails);
        c.StartTogether("alpha", "beta");
        c.SeeDead("beta", "alpha"); // cut off, not dead
        c.Run();
        Assert.Equal(PlacementState.AwaitingTakeover, c["beta"].Group("web").State);
        c.SeeUp("beta", "alpha");
        c.Run();
        Assert.Single(c["beta"].EventsOf("resources.takeover-cancelled"));
        Assert.Single(c["beta"].EventsOf("resources.peer-back"));
        Assert.Equal(PlacementState.Peer, c["beta"].Group("web").State);
        c.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, c["beta"].FenceFailures);
        c.AssertRunsOn("web", "alpha");
    }

    [Fact]
    public void Fence_confirm_lets_a_takeover_blocked_by_a_failed_fence_proceed_on_the_operators_word()
    {
        var c = Pair(fencing: FencePolicy.Fails);
        c.StartTogether("alpha", "beta");
        c.Crash("alpha", powerOff: true);
        c.SeeDead("beta", "alpha");
        c.Run();
        var outcome = c.Confirm("beta", "alpha");
        Assert.True(outcome.Accepted, outcome.Message);
        c.AssertRunsOn("web", "beta");
        Assert.Single(c["beta"].EventsOf("fencing.operator-confirmed"));
        Assert.Equal("OperatorConfirmed", Assert.Single(c["beta"].EventsOf("resources.takeover")).Data!["basis"]);
    }

    [Fact]
    public void Fencing_disabled_a_dead_peer_is_taken_over_without_fencing_with_that_basis()
    {
        var c = Pair(fencing: FencePolicy.Disabled);
        c.StartTogether("alpha", "beta");
        c.Crash("alpha", powerOff: true);
        c.SeeDead("beta", "alpha");
        c.Run();
        c.AssertRunsOn("web", "beta");
        Assert.Equal("FencingDisabled", Assert.Single(c["beta"].EventsOf("resources.takeover")).Data!["basis"]);
    }

    [Fact]
    public void New_run_of_the_peer_that_did_not_release_its_groups_is_fenced_before_they_are_taken_over()
    {
        // web runs on alpha, which is not its preferred node: alpha's new run does not start it itself.
        var c = Pair(groups: [Group("web", "beta")]);
        c.StartTogether("alpha", "beta");
        c.Operator("alpha", OperatorCommandKind.Takeover);
        c.AssertRunsOn("web", "alpha");
        c.Crash("alpha"); // the daemon restarts before deadtime: membership never sees it dead
        c.Start("alpha");
        c.AssertRunsOn("web", "beta");
        Assert.Contains("alpha", c["beta"].Fenced);
        Assert.Contains(c["beta"].EventsOf("resources.takeover-pending"), e => e.Reason.Contains("restarted", StringComparison.Ordinal));
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void New_run_of_the_peer_that_runs_the_group_again_itself_cancels_the_takeover()
    {
        var c = Pair(fencing: FencePolicy.Fails);
        c.StartTogether("alpha", "beta");
        c.Crash("alpha");
        c.Start("alpha");
        c.AssertRunsOn("web", "alpha");
        Assert.Contains(c["beta"].EventsOf("resources.takeover-cancelled"), e => e.Reason.Contains("runs web again itself", StringComparison.Ordinal));
        Assert.Equal(PlacementState.Peer, c["beta"].Group("web").State);
    }

    [Fact]
    public void Late_messages_a_node_whose_messages_arrive_after_its_death_event_is_not_taken_over_twice()
    {
        var c = Pair(groups: [Group("web", "alpha"), Group("db", "alpha")]);
        c.StartTogether("alpha", "beta");
        // alpha's last messages are still in flight when it dies: its state, and a stop-failed
        // report (a retransmission that the channel delivers after membership declared it dead).
        var generation = c["alpha"].Generation;
        c.Inject("alpha", "beta", new PlacementMessage(PlacementMessageType.State, 0, PlacementMessage.FlagStable,
            [new PlacementEntry("web", (byte)GroupState.Running), new PlacementEntry("db", (byte)GroupState.Running)], "alpha state"), generation);
        c.Inject("alpha", "beta", new PlacementMessage(PlacementMessageType.StopFailed, 0, 0, [new PlacementEntry("web", 0)], "late"), generation);
        c.Crash("alpha", keepInFlight: true);
        c.SeeDead("beta", "alpha");
        c.Run();
        c.AssertRunsOn("web", "beta");
        c.AssertRunsOn("db", "beta");
        c.AssertNeverTwice("web");
        Assert.Single(c["beta"].Commands.OfType<AuthorizeTakeover>());
        Assert.Single(c["beta"].EventsOf("resources.takeover"));
        Assert.Empty(c["beta"].EventsOf("resources.peer-back"));
        Assert.Single(c["beta"].Commands.OfType<StartGroup>(), s => s.Group == "web");
    }

    [Fact]
    public void Failure_handover_a_start_that_fails_hands_the_group_to_the_peer()
    {
        var c = Pair();
        c["alpha"].Will("web", GroupOperation.Start, GroupOutcome.StartFailed);
        c.StartTogether("alpha", "beta");
        c.AssertRunsOn("web", "beta");
        Assert.True(c["alpha"].Group("web").FailedHere);
        Assert.Single(c["alpha"].EventsOf("group.moving"));
    }

    [Fact]
    public void Failed_on_both_nodes_the_group_stays_down_until_an_operators_takeover()
    {
        var c = Pair();
        c["alpha"].Will("web", GroupOperation.Start, GroupOutcome.StartFailed);
        c["beta"].Will("web", GroupOperation.Start, GroupOutcome.StartFailed);
        c.StartTogether("alpha", "beta");
        c.Advance(TimeSpan.FromMinutes(1));
        c.AssertRunsOn("web");
        Assert.Equal(PlacementState.Failed, c["beta"].Group("web").State);
        Assert.Single(c["beta"].EventsOf("group.unrunnable"));
        var outcome = c.Operator("beta", OperatorCommandKind.Takeover);
        Assert.True(outcome.Accepted, outcome.Message);
        c.AssertRunsOn("web", "beta");
    }

    [Fact]
    public void Failure_handover_a_monitor_failing_beyond_the_restart_limit_moves_the_group_to_the_peer()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        c.MonitorGivesUp("alpha", "web", GroupOutcome.MoveRequired);
        c.AssertRunsOn("web", "beta");
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Failed_stop_fence_the_node_whose_stop_failed_then_its_peer_takes_the_group_over()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        c["alpha"].Will("web", GroupOperation.Stop, GroupOutcome.StopFailedNeedsFencing);
        c.Operator("alpha", OperatorCommandKind.Standby);
        c.AssertRunsOn("web", "beta");
        c.AssertNeverTwice("web");
        Assert.Equal(["alpha"], c["beta"].Fenced);
        Assert.Single(c["alpha"].EventsOf("group.fence-requested"));
    }

    [Fact]
    public void Failed_stop_on_a_leaving_node_it_is_fenced_before_the_group_it_could_not_stop_is_taken_over()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        c["alpha"].Will("web", GroupOperation.Stop, GroupOutcome.StopFailedNeedsFencing);
        c.Shutdown("alpha");
        c.AssertRunsOn("web", "beta");
        Assert.Equal(["alpha"], c["beta"].Fenced);
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Dual_active_after_a_partition_without_fencing_the_group_stays_on_its_preferred_node_and_stops_on_the_other()
    {
        var c = Pair(fencing: FencePolicy.Disabled);
        c.StartTogether("alpha", "beta");
        c.Cut("alpha", "beta");
        c.SeeDead("alpha", "beta");
        c.SeeDead("beta", "alpha");
        c.Run();
        Assert.Equal(2, c.MaxRunning("web")); // what fencing exists to prevent
        c.Cut("alpha", "beta", cut: false);
        c.SeeUp("alpha", "beta");
        c.SeeUp("beta", "alpha");
        c.Run();
        c.AssertRunsOn("web", "alpha");
        var kept = Assert.Single(c["beta"].EventsOf("group.dual-active"));
        Assert.Equal("alpha", kept.Data!["kept"]);
        Assert.NotEmpty(c["alpha"].EventsOf("group.dual-active"));
        Assert.Equal(PlacementState.Peer, c["beta"].Group("web").State);
    }
}
