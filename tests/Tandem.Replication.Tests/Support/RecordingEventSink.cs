using Tandem.Core.Events;

namespace Tandem.Replication.Tests.Support;

/// <summary>Records events and lets a test wait for one with a deadline.</summary>
internal sealed class RecordingEventSink : IEventSink
{
    private readonly Lock _lock = new();
    private readonly List<ClusterEvent> _events = [];
    private readonly List<(Func<ClusterEvent, bool> Match, TaskCompletionSource<ClusterEvent> Tcs)> _waiters = [];
    private long _seq;

    public IReadOnlyList<ClusterEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null)
    {
        var e = new ClusterEvent(Interlocked.Increment(ref _seq), DateTimeOffset.UtcNow, data?.GetValueOrDefault("node") ?? "", kind, subject, reason) { Data = data };
        List<TaskCompletionSource<ClusterEvent>> fire = [];
        lock (_lock)
        {
            _events.Add(e);
            foreach (var w in _waiters.ToList())
            {
                if (w.Match(e))
                {
                    fire.Add(w.Tcs);
                    _waiters.Remove(w);
                }
            }
        }
        foreach (var t in fire)
        {
            t.TrySetResult(e);
        }
        return e;
    }

    /// <summary>Waits for an event (already recorded after <paramref name="after"/>, or future).</summary>
    public async Task<ClusterEvent> WaitAsync(string what, Func<ClusterEvent, bool> match, long after = 0, double seconds = 20)
    {
        var tcs = new TaskCompletionSource<ClusterEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var found = _events.FirstOrDefault(e => e.Sequence > after && match(e));
            if (found is not null)
            {
                return found;
            }
            _waiters.Add((match, tcs));
        }
        try
        {
            return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no event '{what}' within {seconds} s; events: {string.Join(" | ", Events.Select(e => $"{e.Node} {e.Kind} {e.Reason}"))}");
        }
    }

    public long Last
    {
        get
        {
            lock (_lock)
            {
                return _seq;
            }
        }
    }
}
