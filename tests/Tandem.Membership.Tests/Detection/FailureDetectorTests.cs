using Tandem.Core.Model;
using Tandem.Membership.Detection;
using Xunit;

namespace Tandem.Membership.Tests.Detection;

public sealed class FailureDetectorTests : IDisposable
{
    private static readonly TimeSpan s_keepalive = FailureDetectorFixture.Keepalive;
    private readonly FailureDetectorFixture _fixture = new(["eth0", "eth1"], start: true);

    public void Dispose() => _fixture.Dispose();

    private void Ms(int ms) => _fixture.Ms(ms);

    private void Heartbeat(int link, ulong generation = 1, NodeStatus status = NodeStatus.Active) =>
        _fixture.Detector.OnHeartbeat("beta", link, generation, status);

    private int Count(string kind, string? subject = null) => _fixture.Events.OfKind(kind).Count(e => subject is null || e.Subject == subject);

    [Fact]
    public void A_peer_never_heard_is_dead_exactly_at_initdead()
    {
        Ms(1999);
        Assert.Equal(0, Count("node.dead"));
        Assert.Equal(NodeStatus.Init, _fixture.Detector.StatusOf("beta"));
        Ms(1);
        Assert.Equal(1, Count("node.dead", "beta"));
        Assert.Equal(1, Count("link.dead", "beta/eth0"));
        Assert.Equal(1, Count("link.dead", "beta/eth1"));
        Assert.Contains("initdead", _fixture.Events.OfKind("node.dead").Single().Reason, StringComparison.Ordinal);
        Assert.Equal(NodeStatus.Active, _fixture.Detector.LocalStatus);
    }

    [Fact]
    public void A_peer_that_announces_its_shutdown_has_left_at_once_and_is_not_reported_dead()
    {
        Ms(100);
        Heartbeat(0);
        Heartbeat(1);
        Ms(50);

        Assert.False(_fixture.Detector.LeftCleanly("beta"));
        Heartbeat(0, status: NodeStatus.Dead);

        Assert.Equal(NodeStatus.Dead, _fixture.Detector.StatusOf("beta"));
        Assert.True(_fixture.Detector.LeftCleanly("beta"));
        var left = _fixture.Events.OfKind("node.left").Single();
        Assert.Equal("beta", left.Subject);
        Assert.Contains("cleanly", left.Reason, StringComparison.Ordinal);
        // A heartbeat of the same generation sent before the leave (overtaken on the other link)
        // does not bring it back, and deadtime passing adds no failure.
        Heartbeat(1);
        Ms(3000);
        Assert.Equal(NodeStatus.Dead, _fixture.Detector.StatusOf("beta"));
        Assert.Equal(0, Count("node.dead"));
        Assert.Equal(0, Count("link.dead"));
        Assert.Equal(1, Count("node.up", "beta"));
        // Started again (a new generation): up again.
        Heartbeat(0, generation: 2);
        Assert.Equal(NodeStatus.Active, _fixture.Detector.StatusOf("beta"));
        Assert.False(_fixture.Detector.LeftCleanly("beta"));
        Assert.Equal(2, Count("node.up", "beta"));
    }

    [Fact]
    public void A_silent_peer_is_dead_exactly_at_deadtime_after_its_last_heartbeat()
    {
        Ms(300);
        Heartbeat(0);
        Heartbeat(1);
        Assert.Equal(NodeStatus.Active, _fixture.Detector.StatusOf("beta"));
        Assert.Equal(1, Count("node.up", "beta"));
        Assert.Equal(NodeStatus.Active, _fixture.Detector.LocalStatus);
        Ms(999);
        Assert.Equal(0, Count("node.dead"));
        Ms(1);
        Assert.Equal(1, Count("node.dead", "beta"));
        Assert.Equal(NodeStatus.Dead, _fixture.Detector.StatusOf("beta"));
        Assert.False(_fixture.Detector.LeftCleanly("beta")); // silent, not gone cleanly: the volume's fencing must not trust it
        // Both links are reported dead before the node.
        var kinds = _fixture.Events.Events.Where(e => e.Kind.EndsWith(".dead", StringComparison.Ordinal)).Select(e => e.Kind).ToArray();
        Assert.Equal(["link.dead", "link.dead", "node.dead"], kinds);
    }

    [Fact]
    public void Warntime_raises_one_late_event_exactly_at_warntime()
    {
        Heartbeat(0);
        Heartbeat(1);
        Ms(499);
        Assert.Equal(0, Count("node.late"));
        Ms(1);
        Assert.Equal(1, Count("node.late", "beta"));
        Ms(200);
        Assert.Equal(1, Count("node.late"));
        Heartbeat(0);
        Ms(499);
        Assert.Equal(1, Count("node.late"));
        Ms(1);
        Assert.Equal(2, Count("node.late"));
        Assert.Equal(0, Count("node.dead"));
    }

    [Fact]
    public void One_link_down_gives_link_dead_and_no_node_death()
    {
        Heartbeat(0);
        Heartbeat(1);
        for (var i = 0; i < 50; i++)
        {
            Ms(100);
            Heartbeat(0);
        }
        Assert.Equal(1, Count("link.dead", "beta/eth1"));
        Assert.Equal(0, Count("link.dead", "beta/eth0"));
        Assert.Equal(0, Count("node.dead"));
        Assert.Equal(0, Count("node.late"));
        Assert.Equal(NodeStatus.Active, _fixture.Detector.StatusOf("beta"));
        var view = _fixture.Detector.Snapshot().Single();
        Assert.Equal(LinkStatus.Up, view.Links[0].Status);
        Assert.Equal(LinkStatus.Dead, view.Links[1].Status);

        Heartbeat(1);
        Assert.Equal(1, Count("link.up", "beta/eth1") - 1); // first up, then up again
    }

    [Fact]
    public void A_link_that_never_came_up_dies_at_initdead_while_the_node_lives()
    {
        for (var i = 0; i < 25; i++)
        {
            Heartbeat(0);
            Ms(100);
        }
        Assert.Equal(1, Count("link.dead", "beta/eth1"));
        Assert.Equal(0, Count("node.dead"));
    }

    [Fact]
    public void A_dead_peer_returning_with_the_same_generation_is_a_partition_and_with_a_new_one_a_restart()
    {
        Heartbeat(0);
        Heartbeat(1);
        Ms(1000);
        Assert.Equal(1, Count("node.dead", "beta"));
        Heartbeat(1, generation: 1);
        Assert.Contains("partition", _fixture.Events.OfKind("node.up").Last().Reason, StringComparison.Ordinal);
        Ms(1000);
        Assert.Equal(2, Count("node.dead", "beta"));
        Heartbeat(0, generation: 2);
        Assert.Contains("restarted", _fixture.Events.OfKind("node.up").Last().Reason, StringComparison.Ordinal);
        Assert.Equal(2UL, _fixture.Detector.Snapshot().Single().Generation);
    }

    [Fact]
    public void A_peer_that_reports_up_then_active_moves_through_both_states()
    {
        Heartbeat(0, status: NodeStatus.Up);
        Assert.Equal(NodeStatus.Up, _fixture.Detector.StatusOf("beta"));
        Heartbeat(0, status: NodeStatus.Active);
        Assert.Equal(NodeStatus.Active, _fixture.Detector.StatusOf("beta"));
        Assert.Equal(1, Count("node.active", "beta"));
    }

    [Fact]
    public void A_stall_of_this_node_does_not_kill_peers_but_a_really_dead_peer_still_dies()
    {
        Heartbeat(0);
        Heartbeat(1);
        Ms(50);
        // This process is frozen for three deadtimes: the timer fires once, very late.
        _fixture.Time.Advance(TimeSpan.FromMilliseconds(3000));
        Assert.Equal(1, Count("membership.stall", "alpha"));
        Assert.Equal(1, _fixture.Detector.Stalls);
        Assert.Equal(0, Count("node.dead"));
        Assert.Equal(0, Count("link.dead"));

        // The peer is alive: its next heartbeat keeps it up.
        Heartbeat(0);
        Heartbeat(1);
        Ms(999);
        Assert.Equal(0, Count("node.dead"));

        // Then it really goes silent: dead one deadtime after its last heartbeat.
        Ms(1);
        Assert.Equal(1, Count("node.dead", "beta"));
    }

    [Fact]
    public void After_a_stall_a_silent_peer_dies_once_the_stall_is_discounted()
    {
        Heartbeat(0);
        Heartbeat(1);
        Ms(400);
        _fixture.Time.Advance(TimeSpan.FromMilliseconds(5000));
        Assert.Equal(0, Count("node.dead"));
        // 400 ms of silence before the stall count; about 600 more are needed.
        Ms(800);
        Assert.Equal(1, Count("node.dead", "beta"));
    }

    [Fact]
    public void Small_scheduling_jitter_is_not_a_stall()
    {
        Heartbeat(0);
        Heartbeat(1);
        for (var i = 0; i < 20; i++)
        {
            _fixture.Time.Advance(TimeSpan.FromMilliseconds(105));
            Heartbeat(0);
            Heartbeat(1);
        }
        Assert.Equal(0, Count("membership.stall"));
        Assert.Equal(0, _fixture.Detector.Stalls);
    }
}
