using System.Collections.Concurrent;
using Tandem.Core.Events;

namespace Tandem.Resources.Tests.Support;

/// <summary>Keeps every event and lets a test wait for one, with a deadline that names what was awaited.</summary>
public sealed class RecordingEventSink : IEventSink
{
    private readonly ConcurrentQueue<ClusterEvent> _events = new();
    private readonly Lock _lock = new();
    private readonly List<(Func<ClusterEvent, bool> Match, TaskCompletionSource<ClusterEvent> Done)> _waiters = [];
    private long _sequence;

    public IReadOnlyList<ClusterEvent> Events => [.. _events];

    public IEnumerable<string> Kinds => _events.Select(e => e.Kind);

    public ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null)
    {
        var e = new ClusterEvent(Interlocked.Increment(ref _sequence), DateTimeOffset.UtcNow, "test", kind, subject, reason) { Data = data };
        _events.Enqueue(e);
        lock (_lock)
        {
            foreach (var w in _waiters.Where(w => w.Match(e)).ToList())
            {
                _waiters.Remove(w);
                w.Done.TrySetResult(e);
            }
        }
        return e;
    }

    /// <summary>Waits for the <paramref name="nth"/> event of a kind (1 = the first).</summary>
    public async Task<ClusterEvent> WaitAsync(string kind, string? subject = null, TimeSpan? timeout = null, int nth = 1)
    {
        var seen = 0;
        bool Match(ClusterEvent e) => e.Kind == kind && (subject is null || e.Subject == subject) && ++seen >= nth;
        var tcs = new TaskCompletionSource<ClusterEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var existing = _events.FirstOrDefault(Match);
            if (existing is not null)
            {
                return existing;
            }
            _waiters.Add((Match, tcs));
        }
        try
        {
            return await tcs.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no event {kind} {subject} arrived; saw: {string.Join(", ", _events.Select(e => $"{e.Kind}({e.Subject})"))}");
        }
    }
}
