using Tandem.Core.Events;

namespace Tandem.Bench.Replication;

/// <summary>Keeps the events and wakes waiters on each one, so the host waits on state changes, not on a clock.</summary>
internal sealed class SignalSink : IEventSink
{
    private readonly Lock _lock = new();
    private readonly List<ClusterEvent> _events = [];
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _seq;

    public bool Verbose { get; init; }

    public ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null)
    {
        var e = new ClusterEvent(Interlocked.Increment(ref _seq), DateTimeOffset.UtcNow, data?.GetValueOrDefault("node") ?? "", kind, subject, reason) { Data = data };
        TaskCompletionSource fire;
        lock (_lock)
        {
            _events.Add(e);
            fire = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (Verbose)
        {
            Console.Error.WriteLine($"{e.Time:HH:mm:ss.fff} {e.Node} {e.Kind} {e.Reason}");
        }
        fire.TrySetResult();
        return e;
    }

    /// <summary>The first event after <paramref name="after"/> that matches, waiting for it up to <paramref name="timeout"/>.</summary>
    public async Task<ClusterEvent> WaitAsync(long after, Func<ClusterEvent, bool> match, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (_lock)
            {
                var hit = _events.FirstOrDefault(e => e.Sequence > after && match(e));
                if (hit is not null)
                {
                    return hit;
                }
                next = _next.Task;
            }
            try
            {
                await next.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking on each event (and every 50 ms, for states that publish none).</summary>
    public async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
            Task next;
            lock (_lock)
            {
                next = _next.Task;
            }
            await Task.WhenAny(next, Task.Delay(50)).ConfigureAwait(false);
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
