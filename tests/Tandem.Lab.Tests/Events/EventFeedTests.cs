using System.Threading.Channels;
using Tandem.Core.Events;
using Tandem.Lab.Events;
using Xunit;

namespace Tandem.Lab.Tests.Events;

public sealed class EventFeedTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    private static ClusterEvent Event(long sequence, string kind, string subject) =>
        new(sequence, DateTimeOffset.UnixEpoch.AddSeconds(sequence), "bravo", kind, subject, "because");

    [Fact]
    public async Task A_wait_that_expires_names_what_it_waited_for_and_lists_the_events_seen()
    {
        var channel = Channel.CreateUnbounded<ClusterEvent>();
        await using var feed = EventFeed.Follow("bravo", channel.Reader.ReadAllAsync);
        channel.Writer.TryWrite(Event(1, "node.dead", "alpha"));

        var e = await Assert.ThrowsAsync<LabTimeoutException>(() =>
            feed.WaitAsync(ev => ev.Kind == "fencing.succeeded", "bravo to fence alpha", TimeSpan.FromMilliseconds(200), 0, TestContext.Current.CancellationToken));

        Assert.Equal("bravo to fence alpha (bravo)", e.What);
        Assert.StartsWith("waited 0.2 s for bravo to fence alpha (bravo), in vain", e.Message, StringComparison.Ordinal);
        Assert.Contains("#1 ", e.Message, StringComparison.Ordinal);
        Assert.Contains("node.dead alpha: because", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wait_returns_the_first_match_after_the_given_sequence_even_when_it_arrives_later()
    {
        var channel = Channel.CreateUnbounded<ClusterEvent>();
        await using var feed = EventFeed.Follow("bravo", channel.Reader.ReadAllAsync);
        channel.Writer.TryWrite(Event(1, "group.started", "web"));
        var first = await feed.WaitForAsync("group.started", "web", Soon, 0, null, TestContext.Current.CancellationToken);

        var second = feed.WaitForAsync("group.started", "web", Soon, first.Sequence, null, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);
        channel.Writer.TryWrite(Event(2, "group.stopped", "web"));
        channel.Writer.TryWrite(Event(3, "group.started", "web"));

        Assert.Equal(3, (await second).Sequence);
        Assert.Equal(3, feed.Last);
        Assert.Equal([2L, 3L], feed.After(1).Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_wait_on_a_stream_that_ended_fails_at_once_and_says_so()
    {
        var channel = Channel.CreateUnbounded<ClusterEvent>();
        await using var feed = EventFeed.Follow("bravo", channel.Reader.ReadAllAsync);
        channel.Writer.TryWrite(Event(1, "daemon.stopping", "daemon"));
        channel.Writer.Complete();

        var e = await Assert.ThrowsAsync<LabException>(() =>
            feed.WaitAsync(ev => ev.Kind == "group.started", "bravo to start the group", Soon, 0, TestContext.Current.CancellationToken));

        Assert.IsNotType<LabTimeoutException>(e);
        Assert.Contains("waiting for bravo to start the group: the daemon's event stream ended first", e.Message, StringComparison.Ordinal);
        Assert.True(feed.Ended);
    }

    [Fact]
    public async Task Each_event_is_handed_to_the_callback_as_it_arrives()
    {
        var channel = Channel.CreateUnbounded<ClusterEvent>();
        var seen = new List<string>();
        await using var feed = EventFeed.Follow("bravo", channel.Reader.ReadAllAsync, e => seen.Add(e.Kind));
        channel.Writer.TryWrite(Event(1, "node.up", "alpha"));

        await feed.WaitForAsync("node.up", "alpha", Soon, 0, null, TestContext.Current.CancellationToken);

        Assert.Equal(["node.up"], seen);
    }
}
