using Tandem.Core.Membership;
using Tandem.Core.Model;
using Tandem.Membership.Detection;
using Xunit;

namespace Tandem.Membership.Tests.Detection;

/// <summary>The failure detector's typed output: the membership views that decisions read instead of the event log.</summary>
public sealed class MembershipViewTests : IDisposable
{
    // Not started: a test subscribes first, or starts it first, as it needs.
    private readonly FailureDetectorFixture _fixture = new(["eth0"], start: false);

    public void Dispose() => _fixture.Dispose();

    private void Ms(int ms) => _fixture.Ms(ms);

    private static List<MembershipView> Drain(MembershipSubscription subscription)
    {
        var views = new List<MembershipView>();
        var reader = subscription.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        // The queue is filled synchronously by the detector: everything published is readable now.
        while (reader.MoveNextAsync().AsTask() is { IsCompletedSuccessfully: true } next && next.Result)
        {
            views.Add(reader.Current);
        }
        return views;
    }

    [Fact]
    public void Subscribe_gives_the_current_view_first_then_every_change_in_order_with_its_reason()
    {
        using var subscription = _fixture.Detector.Subscribe();
        _fixture.Detector.Start();
        Ms(100);
        _fixture.Detector.OnHeartbeat("beta", 0, 7, NodeStatus.Active);
        Ms(1000);
        var views = Drain(subscription);
        Assert.Equal(MemberStatus.Unknown, views[0].Find("beta")!.Status);
        Assert.Equal([MemberChange.None, MemberChange.Joined, MemberChange.BecameActive, MemberChange.Died],
            views.Select(v => v.Find("beta")!.Change));
        Assert.True(views.Zip(views.Skip(1)).All(p => p.Second.Version == p.First.Version + 1), "versions increase by one");
        var dead = views[^1].Find("beta")!;
        Assert.Equal(MemberStatus.Dead, dead.Status);
        Assert.Equal(7UL, dead.Generation);
        // The event log gets the same change, with the same reason.
        Assert.Equal(dead.Reason, _fixture.Events.OfKind("node.dead").Single().Reason);
        Assert.Same(views[^1], _fixture.Detector.View);
    }

    [Fact]
    public void A_clean_departure_is_Left_not_Dead_and_a_return_after_death_says_whether_it_restarted()
    {
        _fixture.Detector.Start();
        using var subscription = _fixture.Detector.Subscribe();
        _fixture.Detector.OnHeartbeat("beta", 0, 1, NodeStatus.Active);
        _fixture.Detector.OnHeartbeat("beta", 0, 1, NodeStatus.Dead);
        Assert.Equal(MemberStatus.Left, _fixture.Detector.View.Find("beta")!.Status);
        _fixture.Detector.OnHeartbeat("beta", 0, 2, NodeStatus.Active);
        Ms(1100);
        _fixture.Detector.OnHeartbeat("beta", 0, 2, NodeStatus.Active);
        var changes = Drain(subscription).Select(v => v.Find("beta")!.Change).ToList();
        Assert.Equal([MemberChange.None, MemberChange.Joined, MemberChange.BecameActive, MemberChange.Left,
            MemberChange.Restarted, MemberChange.BecameActive, MemberChange.Died, MemberChange.Returned, MemberChange.BecameActive], changes);
    }
}
