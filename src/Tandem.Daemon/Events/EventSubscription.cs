using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Tandem.Core.Events;

namespace Tandem.Daemon.Events;

/// <summary>One follower of the event stream: a backlog, then live events.</summary>
public sealed class EventSubscription : IDisposable
{
    private readonly ChannelReader<ClusterEvent> _live;
    private readonly Action _unsubscribe;
    private int _disposed;

    private readonly long _since;

    internal EventSubscription(long since, IReadOnlyList<ClusterEvent> backlog, ChannelReader<ClusterEvent> live, Action unsubscribe)
    {
        _since = since;
        Backlog = backlog;
        _live = live;
        _unsubscribe = unsubscribe;
    }

    /// <summary>The events that were already kept when the subscription began.</summary>
    public IReadOnlyList<ClusterEvent> Backlog { get; }

    /// <summary>Yields the backlog, then live events until the stream ends or the token fires.</summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The events in sequence order.</returns>
    /// <exception cref="EventSubscriberTooSlowException">The reader fell too far behind.</exception>
    public async IAsyncEnumerable<ClusterEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var ev in Backlog)
        {
            yield return ev;
        }
        await foreach (var ev in _live.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            // A follower may ask for a future position (since above the last event): it then
            // starts with the first event after that position, not with the next one published.
            if (ev.Sequence > _since)
            {
                yield return ev;
            }
        }
    }

    /// <summary>Stops receiving.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _unsubscribe();
        }
    }
}
