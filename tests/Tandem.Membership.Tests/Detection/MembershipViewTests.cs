using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Membership;
using Tandem.Core.Model;
using Tandem.Membership.Detection;
using Xunit;

namespace Tandem.Membership.Tests.Detection;

/// <summary>The failure detector's typed output: the membership views that decisions read instead of the event log.</summary>
public sealed class MembershipViewTests : IDisposable
{
    private static readonly TimingSpec s_timing = new()
    {
        Keepalive = TimeSpan.FromMilliseconds(100),
        Warntime = TimeSpan.FromMilliseconds(500),
        Deadtime = TimeSpan.FromMilliseconds(1000),
        Initdead = TimeSpan.FromMilliseconds(2000),
    };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly RecordingEventSink _events;
    private readonly FailureDetector _detector;

    public MembershipViewTests()
    {
        _events = new RecordingEventSink(_time) { Node = "alpha" };
        _detector = new FailureDetector("alpha", ["alpha", "beta"], ["eth0"], s_timing, _events, _time, NullLogger.Instance);
    }

    public void Dispose() => _detector.Dispose();

    private void Ms(int ms)
    {
        for (var i = 0; i < ms; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
    }

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
        using var subscription = _detector.Subscribe();
        _detector.Start();
        Ms(100);
        _detector.OnHeartbeat("beta", 0, 7, NodeStatus.Active);
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
        Assert.Equal(dead.Reason, _events.OfKind("node.dead").Single().Reason);
        Assert.Same(views[^1], _detector.View);
    }

    [Fact]
    public void A_clean_departure_is_Left_not_Dead_and_a_return_after_death_says_whether_it_restarted()
    {
        _detector.Start();
        using var subscription = _detector.Subscribe();
        _detector.OnHeartbeat("beta", 0, 1, NodeStatus.Active);
        _detector.OnHeartbeat("beta", 0, 1, NodeStatus.Dead);
        Assert.Equal(MemberStatus.Left, _detector.View.Find("beta")!.Status);
        _detector.OnHeartbeat("beta", 0, 2, NodeStatus.Active);
        Ms(1100);
        _detector.OnHeartbeat("beta", 0, 2, NodeStatus.Active);
        var changes = Drain(subscription).Select(v => v.Find("beta")!.Change).ToList();
        Assert.Equal([MemberChange.None, MemberChange.Joined, MemberChange.BecameActive, MemberChange.Left,
            MemberChange.Restarted, MemberChange.BecameActive, MemberChange.Died, MemberChange.Returned, MemberChange.BecameActive], changes);
    }
}
