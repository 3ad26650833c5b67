using Tandem.Core.Events;
using Tandem.Lab.Events;
using Xunit;

namespace Tandem.IntegrationTests.Infrastructure;

/// <summary>One daemon's events (the lab's <see cref="EventFeed"/>), with waits that end with the test.</summary>
internal sealed class EventWatch(EventFeed feed)
{
    public EventFeed Feed { get; } = feed;

    public string Node => Feed.Node;

    public IReadOnlyList<ClusterEvent> All => Feed.All;

    /// <summary>The sequence number of the last event so far.</summary>
    public long Last => Feed.Last;

    /// <summary>Waits for the first event (after <paramref name="after"/>) of that kind and subject that matches.</summary>
    public Task<ClusterEvent> WaitAsync(string kind, string subject, TimeSpan timeout, long after = 0, Func<ClusterEvent, bool>? where = null) =>
        Feed.WaitForAsync(kind, subject, timeout, after, where, TestContext.Current.CancellationToken);

    /// <summary>Waits for the first event after <paramref name="after"/> that matches; the failure names <paramref name="what"/>.</summary>
    public async Task<ClusterEvent> WaitAsync(Func<ClusterEvent, bool> match, string what, TimeSpan timeout, long after = 0) =>
        (await Feed.WaitAsync(match, what, timeout, after, TestContext.Current.CancellationToken)).Event;

    public string Describe() => Feed.Describe();
}
