using System.Text.Json;
using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Events;
using Tandem.Daemon.Control;
using Tandem.Daemon.Events;
using Xunit;

namespace Tandem.Daemon.Tests.Events;

public sealed class EventLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tandem-eventlog-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 19, 20, 1, 123, TimeSpan.Zero));

    public EventLogTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private EventLog NewLog(int capacity = 100, string? file = null) =>
        new("node1", capacity, file, _time, NullLogger<EventLog>.Instance);

    [Fact]
    public void Events_are_numbered_from_one_and_stamped_with_the_injected_clock_and_node()
    {
        using var log = NewLog();
        var first = log.Publish("daemon.started", "daemon", "up");
        _time.Advance(TimeSpan.FromMilliseconds(250));
        var second = log.Publish("link.dead", "eth1", "silent for 30 s", new Dictionary<string, string> { ["peer"] = "node2" });

        Assert.Equal(1, first.Sequence);
        Assert.Equal(2, second.Sequence);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 19, 20, 1, 123, TimeSpan.Zero), first.Time);
        Assert.Equal(first.Time.AddMilliseconds(250), second.Time);
        Assert.Equal("node1", second.Node);
        Assert.Equal("node2", second.Data!["peer"]);
        Assert.Equal(2, log.LastSequence);
    }

    [Fact]
    public void Data_is_copied_so_the_caller_cannot_rewrite_history()
    {
        using var log = NewLog();
        var data = new Dictionary<string, string> { ["state"] = "up" };
        var ev = log.Publish("node.up", "node2", "heard", data);
        data["state"] = "dead";
        Assert.Equal("up", ev.Data!["state"]);
    }

    [Fact]
    public void Concurrent_publishers_get_distinct_gapless_sequence_numbers()
    {
        using var log = NewLog(capacity: 10_000);
        var sequences = new long[4000];
        Parallel.For(0, sequences.Length, i => sequences[i] = log.Publish("test.event", "s", "r").Sequence);
        Assert.Equal(Enumerable.Range(1, sequences.Length).Select(i => (long)i), sequences.Order());
        // The ring is in sequence order, whatever the interleaving was.
        Assert.Equal(Enumerable.Range(1, sequences.Length).Select(i => (long)i), log.ReadSince(0).Select(e => e.Sequence));
    }

    [Fact]
    public void The_ring_keeps_only_the_most_recent_events()
    {
        using var log = NewLog(capacity: 5);
        for (var i = 0; i < 12; i++)
        {
            log.Publish("test.event", "s", $"r{i}");
        }
        Assert.Equal([8L, 9, 10, 11, 12], log.ReadSince(0).Select(e => e.Sequence));
        Assert.Equal([11L, 12], log.ReadSince(10).Select(e => e.Sequence));
        Assert.Empty(log.ReadSince(12));
    }

    [Fact]
    public void Every_event_is_appended_to_the_json_lines_file()
    {
        var file = Path.Combine(_dir, "events.jsonl");
        using (var log = NewLog(capacity: 2, file: file))
        {
            log.Publish("daemon.started", "daemon", "up");
            log.Publish("config.loaded", "config", "read x", new Dictionary<string, string> { ["sources"] = "a,b" });
            log.Publish("daemon.stopping", "daemon", "signal");
        }
        var lines = File.ReadAllLines(file);
        Assert.Equal(3, lines.Length); // the file keeps what the ring dropped
        var events = lines.Select(l => JsonSerializer.Deserialize(l, ControlJsonContext.Default.ClusterEvent)!).ToList();
        Assert.Equal([1L, 2, 3], events.Select(e => e.Sequence));
        Assert.Equal("a,b", events[1].Data!["sources"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains("\"kind\":\"daemon.started\"", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_later_run_appends_to_the_file()
    {
        var file = Path.Combine(_dir, "events.jsonl");
        using (var log = NewLog(file: file))
        {
            log.Publish("daemon.started", "daemon", "first run");
        }
        using (var log = NewLog(file: file))
        {
            log.Publish("daemon.started", "daemon", "second run");
        }
        Assert.Equal(2, File.ReadAllLines(file).Length);
    }

    [Fact]
    public async Task A_subscriber_gets_the_backlog_then_live_events_without_gap_or_duplicate()
    {
        using var log = NewLog();
        log.Publish("a", "s", "r");
        log.Publish("b", "s", "r");
        using var subscription = log.Subscribe(since: 1);
        log.Publish("c", "s", "r");
        log.Complete();
        var seen = new List<ClusterEvent>();
        await foreach (var ev in subscription.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            seen.Add(ev);
        }
        Assert.Equal(["b", "c"], seen.Select(e => e.Kind));
    }

    [Fact]
    public void Subscribers_see_exactly_the_events_after_since_whatever_the_interleaving()
    {
        // Model: with n events before the subscription and m after, a subscriber from `since`
        // sees exactly since+1 .. n+m (the ring is large enough here).
        Gen.Select(Gen.Int[0, 30], Gen.Int[0, 30], Gen.Int[0, 35]).Sample((before, after, since) =>
        {
            using var log = NewLog(capacity: 100);
            for (var i = 0; i < before; i++)
            {
                log.Publish("before", "s", "r");
            }
            using var subscription = log.Subscribe(since);
            var publisher = Task.Run(() =>
            {
                for (var i = 0; i < after; i++)
                {
                    log.Publish("after", "s", "r");
                }
                log.Complete();
            });
            var seen = subscription.ReadAllAsync().ToBlockingEnumerable().Select(e => e.Sequence).ToList();
            publisher.GetAwaiter().GetResult();
            var expected = Enumerable.Range(since + 1, Math.Max(0, before + after - since)).Select(i => (long)i).ToList();
            return seen.SequenceEqual(expected);
        }, iter: 200);
    }

    [Fact]
    public async Task A_subscriber_that_falls_too_far_behind_is_dropped_and_never_blocks_the_publisher()
    {
        using var log = NewLog(capacity: EventLog.SubscriberBacklogLimit * 2);
        using var slow = log.Subscribe(since: 0);
        for (var i = 0; i <= EventLog.SubscriberBacklogLimit; i++)
        {
            log.Publish("flood", "s", "r");
        }
        await Assert.ThrowsAsync<EventSubscriberTooSlowException>(async () =>
        {
            await foreach (var unused in slow.ReadAllAsync(TestContext.Current.CancellationToken))
            {
            }
        });
    }

    [Fact]
    public async Task Subscribing_after_completion_gives_the_backlog_and_ends()
    {
        using var log = NewLog();
        log.Publish("a", "s", "r");
        log.Complete();
        log.Publish("b", "s", "r"); // still numbered and kept after the followers ended
        using var subscription = log.Subscribe(0);
        var seen = new List<string>();
        await foreach (var ev in subscription.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            seen.Add(ev.Kind);
        }
        Assert.Equal(["a", "b"], seen);
    }

    [Fact]
    public void Disposing_a_subscription_unregisters_it()
    {
        using var log = NewLog(capacity: EventLog.SubscriberBacklogLimit * 2);
        var subscription = log.Subscribe(0);
        Assert.Equal(1, log.SubscriberCount);
        subscription.Dispose();
        Assert.Equal(0, log.SubscriberCount);
    }
}
