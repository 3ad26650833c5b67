using Tandem.Resources.Groups;
using Tandem.Resources.Placement;
using Xunit;
using static Tandem.Resources.Tests.Placement.EngineCluster;

namespace Tandem.Resources.Tests.Placement;

/// <summary>
/// Rule "blocked" (issue #13): a group whose stop failed and whose node cannot be fenced is never
/// started anywhere until an operator acts, as Pacemaker blocks a resource whose stop failed
/// without fencing: never "running on both".
/// </summary>
public sealed partial class PlacementEngineTests
{
    /// <summary>Two nodes without fencing; web runs on alpha, and its stop there fails until <paramref name="failures"/> stops have failed.</summary>
    private static EngineCluster BlockedOnAlpha(int failures = 1)
    {
        var c = Pair(fencing: FencePolicy.Disabled);
        c.StartTogether("alpha", "beta");
        c["alpha"].Will("web", GroupOperation.Stop, [.. Enumerable.Repeat(GroupOutcome.StopFailedNeedsFencing, failures)]);
        c.Operator("alpha", OperatorCommandKind.Standby);
        return c;
    }

    [Fact]
    public void Blocked_a_stop_that_fails_with_fencing_disabled_leaves_the_group_blocked_on_that_node_and_never_running_on_two_nodes()
    {
        var c = BlockedOnAlpha();
        c.Advance(TimeSpan.FromMinutes(5));
        c.AssertRunsOn("web", "alpha"); // what could not be stopped
        c.AssertNeverTwice("web");
        var alpha = c["alpha"].Group("web");
        Assert.Equal(PlacementState.Blocked, alpha.State);
        Assert.Equal("alpha", alpha.BlockedOn);
        Assert.Equal(PlacementState.Blocked, c["beta"].Group("web").State);
        Assert.Contains("tandem takeover", alpha.Waiting, StringComparison.Ordinal);
        Assert.Single(c["alpha"].EventsOf("group.blocked"));
        Assert.Single(c["beta"].EventsOf("group.blocked"));
        Assert.DoesNotContain(c["beta"].Commands, x => x is StartGroup or AuthorizeTakeover);
        // Not even alpha's death makes beta start it: without fencing nothing says it stopped there.
        c.Crash("alpha");
        c.SeeDead("beta", "alpha");
        c.Advance(TimeSpan.FromMinutes(1));
        c.AssertRunsOn("web", "alpha");
        c.AssertNeverTwice("web");
        Assert.DoesNotContain(c["beta"].Commands, x => x is StartGroup);
    }

    [Fact]
    public void Blocked_a_start_whose_rollback_stop_fails_on_both_nodes_runs_on_neither_without_fencing()
    {
        // Issue #13's pair: the start fails (a misnamed parameter), its rollback's stop fails too.
        var c = Pair(fencing: FencePolicy.Disabled);
        c["alpha"].Will("web", GroupOperation.Start, GroupOutcome.StopFailedNeedsFencing);
        c["beta"].Will("web", GroupOperation.Start, GroupOutcome.StopFailedNeedsFencing);
        c.StartTogether("alpha", "beta");
        c.Advance(TimeSpan.FromMinutes(5));
        c.AssertRunsOn("web", "alpha");
        c.AssertNeverTwice("web");
        Assert.Equal(PlacementState.Blocked, c["beta"].Group("web").State);
        Assert.DoesNotContain(c["beta"].Commands, x => x is StartGroup);
    }

    [Fact]
    public void Blocked_takeover_on_the_blocked_node_stops_the_group_again_then_starts_it_there()
    {
        var c = BlockedOnAlpha();
        var outcome = c.Operator("alpha", OperatorCommandKind.Takeover, GroupSet.Local);
        Assert.True(outcome.Accepted, outcome.Message);
        c.AssertRunsOn("web", "alpha");
        Assert.Equal(PlacementState.Running, c["alpha"].Group("web").State);
        Assert.Equal(PlacementState.Peer, c["beta"].Group("web").State);
        Assert.Single(c["alpha"].EventsOf("group.unblocked"));
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Blocked_takeover_on_the_other_node_has_the_blocked_node_stop_it_again_and_release_it()
    {
        var c = BlockedOnAlpha();
        var outcome = c.Operator("beta", OperatorCommandKind.Takeover);
        Assert.True(outcome.Accepted, outcome.Message);
        c.AssertRunsOn("web", "beta");
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Blocked_a_retried_stop_that_fails_again_stays_blocked()
    {
        var c = BlockedOnAlpha(failures: 2);
        c.Operator("beta", OperatorCommandKind.Takeover);
        c.AssertRunsOn("web", "alpha");
        Assert.Equal(PlacementState.Blocked, c["alpha"].Group("web").State);
        Assert.Equal(PlacementState.Blocked, c["beta"].Group("web").State);
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Blocked_fence_confirm_of_the_gone_node_lets_the_other_node_start_the_group()
    {
        var c = BlockedOnAlpha();
        c.Crash("alpha", powerOff: true);
        c.SeeDead("beta", "alpha");
        c.Run();
        Assert.Equal(PlacementState.Blocked, c["beta"].Group("web").State);
        var outcome = c.Confirm("beta", "alpha");
        Assert.True(outcome.Accepted, outcome.Message);
        c.AssertRunsOn("web", "beta");
    }

    [Fact]
    public void Blocked_a_stop_that_fails_with_no_peer_up_to_fence_this_node_blocks_the_group_here()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        c.Crash("beta", powerOff: true);
        c.SeeDead("alpha", "beta");
        c.Run();
        c.MonitorGivesUp("alpha", "web", GroupOutcome.StopFailedNeedsFencing);
        var web = c["alpha"].Group("web");
        Assert.Equal(PlacementState.Blocked, web.State);
        Assert.Contains("no peer is up to fence this node", web.Waiting, StringComparison.Ordinal);
        Assert.Equal(GroupState.StopFailed, web.Reported);
    }

    [Fact]
    public void Blocked_a_leaving_node_whose_stop_failed_without_fencing_leaves_the_group_blocked_on_the_peer()
    {
        var c = Pair(fencing: FencePolicy.Disabled);
        c.StartTogether("alpha", "beta");
        c["alpha"].Will("web", GroupOperation.Stop, GroupOutcome.StopFailedNeedsFencing);
        c.Shutdown("alpha");
        c.Advance(TimeSpan.FromMinutes(1));
        c.AssertRunsOn("web", "alpha");
        Assert.Equal(PlacementState.Blocked, c["beta"].Group("web").State);
        c.AssertNeverTwice("web");
    }
}
