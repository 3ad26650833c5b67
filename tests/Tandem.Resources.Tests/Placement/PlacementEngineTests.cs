using Tandem.Core.Model;
using Tandem.Resources.Placement;
using Xunit;
using static Tandem.Resources.Tests.Placement.EngineCluster;

namespace Tandem.Resources.Tests.Placement;

/// <summary>
/// The rules of docs/resources.md ("Where groups run"), one test each, on engines of two (and
/// three) nodes in one process with a fake clock: start-up and initial placement, auto_failback,
/// the operator's commands and the handover protocol.
/// </summary>
public sealed partial class PlacementEngineTests
{
    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(5);

    /// <summary>web runs on beta after alpha (its preferred node) crashed and was fenced.</summary>
    private static EngineCluster FailedOverToBeta(FailbackMode failback, params GroupSpec[] groups)
    {
        var c = Pair(failback, FencePolicy.Succeeds, groups.Length == 0 ? null : groups);
        c.StartTogether("alpha", "beta");
        c.AssertRunsOn("web", "alpha");
        c.Crash("alpha", powerOff: true);
        c.SeeDead("beta", "alpha");
        c.Run();
        c.AssertRunsOn("web", "beta");
        return c;
    }

    [Fact]
    public void Initial_placement_each_group_starts_on_its_preferred_node_once_the_peers_state_is_known()
    {
        var c = Pair(groups: [Group("web", "alpha"), Group("db", "beta")]);
        c.StartTogether("alpha", "beta");
        c.AssertRunsOn("web", "alpha");
        c.AssertRunsOn("db", "beta");
        c.AssertNeverTwice("web");
        c.AssertNeverTwice("db");
        Assert.Single(c["alpha"].EventsOf("resources.stable"));
        Assert.Equal(GroupHolder.Peer, c["beta"].Engine!.HolderOf(c["beta"].Group("web")));
    }

    [Fact]
    public void Initial_placement_a_starting_node_runs_nothing_until_it_has_heard_the_peers_state()
    {
        var c = Pair();
        c.Start("alpha");
        c.Advance(TimeSpan.FromMinutes(1));
        c.AssertRunsOn("web");
        Assert.Equal(PlacementState.Undecided, c["alpha"].Group("web").State);
        Assert.False(c["alpha"].Engine!.Stable);
        c.Start("beta");
        c.AssertRunsOn("web", "alpha");
    }

    [Fact]
    public void Initdead_a_peer_never_heard_is_declared_dead_and_its_groups_are_taken_over_once_it_is_fenced()
    {
        var c = Pair(groups: [Group("web", "beta")]);
        c.Start("alpha");
        c.SeeDead("alpha", "beta", "never heard within initdead");
        c.Run();
        c.AssertRunsOn("web", "alpha");
        Assert.Contains("beta", c["alpha"].Fenced);
        var takeover = Assert.Single(c["alpha"].EventsOf("resources.takeover"));
        Assert.Equal("Fenced", takeover.Data!["basis"]);
    }

    [Fact]
    public void Auto_failback_on_the_holder_hands_a_group_back_when_its_preferred_node_joins()
    {
        var c = FailedOverToBeta(FailbackMode.On);
        c.Start("alpha");
        c.AssertRunsOn("web", "alpha");
        c.AssertNeverTwice("web");
        Assert.Contains(c["beta"].EventsOf("group.failback"), e => e.Reason.Contains("auto_failback on", StringComparison.Ordinal));
    }

    [Fact]
    public void Auto_failback_off_groups_stay_where_they_run_when_the_preferred_node_joins()
    {
        var c = FailedOverToBeta(FailbackMode.Off);
        c.Start("alpha");
        c.Advance(TimeSpan.FromMinutes(1));
        c.AssertRunsOn("web", "beta");
        Assert.Empty(c["beta"].EventsOf("group.failback"));
        Assert.Empty(c["alpha"].EventsOf("group.failback"));
    }

    [Fact]
    public void Auto_failback_legacy_the_preferred_node_asks_for_its_groups_when_it_joins()
    {
        var c = FailedOverToBeta(FailbackMode.Legacy);
        c.Start("alpha");
        c.AssertRunsOn("web", "alpha");
        c.AssertNeverTwice("web");
        Assert.Contains(c["alpha"].EventsOf("group.failback"), e => e.Reason.Contains("auto_failback legacy: asking beta", StringComparison.Ordinal));
    }

    [Fact]
    public void Deferred_failback_waits_until_the_returning_nodes_copies_of_the_volumes_are_UpToDate()
    {
        var c = FailedOverToBeta(FailbackMode.On, Group("web", "alpha", "r0"));
        c["beta"].Feed(new PeerVolumesObserved(new HashSet<string>(["r0"])), c);
        c.Start("alpha");
        c.Advance(TimeSpan.FromSeconds(10));
        c.AssertRunsOn("web", "beta");
        Assert.Equal(PlacementState.FailbackPending, c["beta"].Group("web").State);
        Assert.Single(c["beta"].EventsOf("group.failback-deferred"));
        // The resync ends: the next observation (or recheck) hands the group back.
        c["beta"].Feed(new PeerVolumesObserved(new HashSet<string>()), c);
        c.Run();
        c.AssertRunsOn("web", "alpha");
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Deferred_failback_is_dropped_when_the_returning_node_goes_away_again()
    {
        var c = FailedOverToBeta(FailbackMode.On, Group("web", "alpha", "r0"));
        c["beta"].Feed(new PeerVolumesObserved(new HashSet<string>(["r0"])), c);
        c.Start("alpha");
        Assert.Equal(PlacementState.FailbackPending, c["beta"].Group("web").State);
        c.Crash("alpha", powerOff: true);
        c.SeeDead("beta", "alpha");
        c.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(PlacementState.Running, c["beta"].Group("web").State);
        c.AssertRunsOn("web", "beta");
    }

    [Fact]
    public void Standby_stops_the_group_here_before_the_peer_starts_it()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        var outcome = c.Operator("alpha", OperatorCommandKind.Standby);
        Assert.True(outcome.Accepted, outcome.Message);
        Assert.Equal(["web"], outcome.Groups);
        c.AssertRunsOn("web", "beta");
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Takeover_asks_the_peer_to_release_and_starts_the_group_here_once_released()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        var outcome = c.Operator("beta", OperatorCommandKind.Takeover);
        Assert.True(outcome.Accepted, outcome.Message);
        Assert.Contains("asking alpha to release web", outcome.Message, StringComparison.Ordinal);
        c.AssertRunsOn("web", "beta");
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Failback_moves_every_group_to_its_preferred_node()
    {
        var c = Pair(groups: [Group("web", "alpha"), Group("db", "beta")]);
        c.StartTogether("alpha", "beta");
        c.Operator("beta", OperatorCommandKind.Takeover, GroupSet.Foreign);
        c.AssertRunsOn("web", "beta");
        var outcome = c.Operator("alpha", OperatorCommandKind.Failback);
        Assert.True(outcome.Accepted, outcome.Message);
        c.AssertRunsOn("web", "alpha");
        c.AssertRunsOn("db", "beta");
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Commands_are_refused_before_the_initial_placement_without_a_peer_up_and_while_a_takeover_waits_for_fencing()
    {
        var c = Pair(fencing: FencePolicy.Fails);
        c.Start("alpha");
        Assert.Contains("initial placement is not decided", c.Operator("alpha", OperatorCommandKind.Standby).Message, StringComparison.Ordinal);
        c.Start("beta");
        c.Crash("beta", powerOff: true);
        c.SeeDead("alpha", "beta");
        c.Run();
        var standby = c.Operator("alpha", OperatorCommandKind.Standby);
        Assert.False(standby.Accepted);
        Assert.Contains("not up", standby.Message, StringComparison.Ordinal);
        var d = Pair(fencing: FencePolicy.Fails);
        d.StartTogether("alpha", "beta");
        d.Crash("alpha");
        d.SeeDead("beta", "alpha");
        d.Run();
        var takeover = d.Operator("beta", OperatorCommandKind.Takeover);
        Assert.False(takeover.Accepted);
        Assert.Contains("waits for fencing", takeover.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_departure_the_released_groups_start_on_the_peer_at_once_without_fencing()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        c.Shutdown("alpha");
        c.AssertRunsOn("web", "beta");
        c.AssertNeverTwice("web");
        Assert.Contains(c["beta"].Commands, x => x is AnnounceCleanDeparture);
        Assert.DoesNotContain(c["beta"].Commands, x => x is AuthorizeTakeover);
        Assert.Empty(c["beta"].Fenced);
    }

    [Fact]
    public void A_node_that_leaves_without_a_Leaving_message_is_treated_as_failed_and_fenced()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        var generation = c["alpha"].Generation;
        c.Crash("alpha");
        c.See("beta", new Tandem.Core.Membership.MemberView("alpha", Tandem.Core.Membership.MemberStatus.Left, generation, Tandem.Core.Membership.MemberChange.Left, "announced its shutdown"));
        c.Run();
        c.AssertRunsOn("web", "alpha"); // the Leaving message has a moment to arrive
        c.Advance(TimeSpan.FromSeconds(1));
        c.AssertRunsOn("web", "beta");
        Assert.Contains("alpha", c["beta"].Fenced);
        c.AssertNeverTwice("web");
    }

    [Fact]
    public void Standalone_a_node_alone_in_the_cluster_runs_every_group_at_once()
    {
        var c = new EngineCluster(["solo"], [Group("web", "solo"), Group("db", "solo")]);
        c.StartTogether("solo");
        c.AssertRunsOn("web", "solo");
        c.AssertRunsOn("db", "solo");
        Assert.Contains("no peer", c.Operator("solo", OperatorCommandKind.Standby).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aborted_handover_a_group_whose_peer_vanishes_during_the_stop_starts_here_again()
    {
        var c = Pair();
        c.StartTogether("alpha", "beta");
        c["alpha"].Feed(new OperatorCommand(OperatorCommandKind.Standby, GroupSet.All), c);
        c.Crash("beta", powerOff: true);
        c.SeeDead("alpha", "beta");
        c.Run();
        c.AssertRunsOn("web", "alpha");
        Assert.Single(c["alpha"].EventsOf("group.handover-aborted"));
    }
}
