using Tandem.Core.Membership;
using Tandem.Resources.Groups;
using Tandem.Resources.Placement;
using Xunit;
using static Tandem.Resources.Tests.Placement.EngineCluster;

namespace Tandem.Resources.Tests.Placement;

/// <summary>
/// Three nodes in one process: the engine manages a pair (Heartbeat R1's two-node rules; the
/// daemon runs no engine in a larger cluster), so a third member's messages and death must never
/// move the pair's groups.
/// </summary>
public sealed class ThreeNodeTests
{
    private static EngineCluster Trio()
    {
        var c = new EngineCluster(["alpha", "beta", "gamma"], [Group("web", "alpha"), Group("db", "beta")]);
        c.PeerOf = n => n switch { "alpha" => "beta", "beta" => "alpha", _ => null };
        c.StartTogether("alpha", "beta");
        return c;
    }

    [Fact]
    public void Third_node_its_placement_messages_are_ignored_by_the_pair()
    {
        var c = Trio();
        c.Inject("gamma", "alpha", new PlacementMessage(PlacementMessageType.Request, 1, 0, [new PlacementEntry("web", 0)], "give it to me"), generation: 1);
        c.Inject("gamma", "beta", new PlacementMessage(PlacementMessageType.Released, 0, 0, [new PlacementEntry("web", (byte)ReleaseCode.Handover)], "take it"), generation: 1);
        c.Inject("gamma", "beta", new PlacementMessage(PlacementMessageType.StopFailed, 0, 0, [new PlacementEntry("web", 0)], "fence me"), generation: 1);
        c.Run();
        c.AssertRunsOn("web", "alpha");
        c.AssertRunsOn("db", "beta");
        c.AssertNeverTwice("web");
        Assert.DoesNotContain(c["beta"].Commands, x => x is AuthorizeTakeover);
    }

    [Fact]
    public void Third_node_its_death_moves_nothing_while_the_pair_still_fails_over_between_themselves()
    {
        var c = Trio();
        c.See("alpha", new MemberView("gamma", MemberStatus.Dead, 1, MemberChange.Died, "silent"));
        c.See("beta", new MemberView("gamma", MemberStatus.Dead, 1, MemberChange.Died, "silent"));
        c.Run();
        Assert.DoesNotContain(c["alpha"].Commands, x => x is AuthorizeTakeover);
        Assert.DoesNotContain(c["beta"].Commands, x => x is AuthorizeTakeover);
        c.Crash("alpha");
        c.SeeDead("beta", "alpha");
        c.Run();
        c.AssertRunsOn("web", "beta");
        c.AssertRunsOn("db", "beta");
        c.AssertNeverTwice("web");
        Assert.Equal(["alpha"], c["beta"].Fenced);
    }
}
