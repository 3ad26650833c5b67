using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tandem.Membership.Wire;
using Xunit;

namespace Tandem.Membership.Tests.Wire;

public sealed class RejectCountersTests
{
    private sealed class CapturingLogger : ILogger
    {
        public List<(EventId Id, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((eventId, formatter(state, exception)));
    }

    [Fact]
    public void Counts_every_rejection_and_logs_each_reason_at_most_once_per_interval()
    {
        var time = new FakeTimeProvider();
        var logger = new CapturingLogger();
        var counters = new RejectCounters(logger, time);
        for (var i = 0; i < 10_000; i++)
        {
            counters.Record(RejectReason.BadMac, "net1", "10.0.0.9:694");
        }
        counters.Record(RejectReason.Replayed, "net1", "beta");
        Assert.Equal(10_000, counters[RejectReason.BadMac]);
        Assert.Equal(10_001, counters.Total);
        Assert.Equal(2, logger.Entries.Count);
        Assert.All(logger.Entries, e => Assert.Equal(1001, e.Id.Id));

        time.Advance(RejectCounters.LogInterval);
        counters.Record(RejectReason.BadMac, "net1", "10.0.0.9:694");
        Assert.Equal(3, logger.Entries.Count);
        Assert.Contains("9999 more", logger.Entries[^1].Message, StringComparison.Ordinal);

        counters.Record(RejectReason.FromSelf, "mcast", "alpha");
        Assert.Equal(3, logger.Entries.Count); // own looped packets are counted, not logged
        Assert.Equal(10_002, counters.Total);
        Assert.Equal(1, counters.Snapshot()["from-self"]);
    }
}
