using System.Globalization;
using System.Runtime.CompilerServices;
using Tandem.Core.Events;
using Tandem.Daemon.Control;

namespace Tandem.Lab.Events;

/// <summary>
/// The events of one daemon process, followed in the background from its first one (its control
/// socket's follow stream), kept in order, so that a caller can wait for one with a deadline. A
/// restarted daemon numbers its events from 1 again: each process gets a feed of its own.
/// </summary>
public sealed class EventFeed : IAsyncDisposable
{
    private readonly List<ArrivedEvent> _events = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<ClusterEvent>? _onEvent;
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _pump = Task.CompletedTask;
    private bool _ended;
    private int _disposed;

    private EventFeed(string node, Action<ClusterEvent>? onEvent, TimeProvider time)
    {
        Node = node;
        _onEvent = onEvent;
        _time = time;
    }

    /// <summary>The node whose events these are, for failure messages.</summary>
    public string Node { get; }

    /// <summary>How many events have arrived.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _events.Count;
            }
        }
    }

    /// <summary>Every event so far, in order.</summary>
    public IReadOnlyList<ClusterEvent> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _events.Select(e => e.Event)];
            }
        }
    }

    /// <summary>The sequence number of the last event so far; 0 before the first.</summary>
    public long Last
    {
        get
        {
            lock (_lock)
            {
                return _events.Count == 0 ? 0 : _events[^1].Event.Sequence;
            }
        }
    }

    /// <summary>Whether the stream has ended (the daemon stopped or died, or the feed was disposed).</summary>
    public bool Ended
    {
        get
        {
            lock (_lock)
            {
                return _ended;
            }
        }
    }

    /// <summary>Follows the daemon of <paramref name="runDirectory"/> from its first event.</summary>
    /// <param name="node">The node's name.</param>
    /// <param name="runDirectory">The daemon's run directory (its control socket).</param>
    /// <param name="onEvent">Called with each event as it arrives, on the feed's task.</param>
    /// <param name="time">The clock of <see cref="ArrivedEvent.Arrived"/>; the system clock when null.</param>
    /// <returns>The running feed.</returns>
    public static EventFeed Follow(string node, string runDirectory, Action<ClusterEvent>? onEvent = null, TimeProvider? time = null) =>
        Follow(node, cancellationToken => FollowDaemonAsync(runDirectory, cancellationToken), onEvent, time);

    /// <summary>Follows any source of events (a test gives a channel's reader; <see cref="Follow(string, string, Action{ClusterEvent}?, TimeProvider?)"/> gives a daemon's stream).</summary>
    /// <param name="node">The node's name.</param>
    /// <param name="source">Opens the stream; it ends when the daemon goes away.</param>
    /// <param name="onEvent">Called with each event as it arrives.</param>
    /// <param name="time">The clock of arrivals.</param>
    /// <returns>The running feed.</returns>
    public static EventFeed Follow(string node, Func<CancellationToken, IAsyncEnumerable<ClusterEvent>> source, Action<ClusterEvent>? onEvent = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var feed = new EventFeed(node, onEvent, time ?? TimeProvider.System);
        feed._pump = feed.PumpAsync(source);
        return feed;
    }

    /// <summary>The events after sequence number <paramref name="after"/>.</summary>
    /// <param name="after">The last sequence number already seen; 0 for all.</param>
    /// <returns>The events, in order.</returns>
    public IReadOnlyList<ClusterEvent> After(long after)
    {
        lock (_lock)
        {
            return [.. _events.Where(e => e.Event.Sequence > after).Select(e => e.Event)];
        }
    }

    /// <summary>
    /// Waits for the first event after <paramref name="after"/> that matches (it may have arrived
    /// already), with the moment it arrived.
    /// </summary>
    /// <param name="match">What the event must be.</param>
    /// <param name="what">What is awaited, as a phrase for the failure message ("bravo to fence alpha").</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="after">Only events with a greater sequence number count; 0 for all.</param>
    /// <param name="cancellationToken">Aborts the wait (an interruption, not a timeout).</param>
    /// <returns>The event.</returns>
    /// <exception cref="LabTimeoutException">No such event by the deadline; the message lists the events seen.</exception>
    /// <exception cref="LabException">The stream ended (the daemon went away) without such an event.</exception>
    public async Task<ArrivedEvent> WaitAsync(Func<ClusterEvent, bool> match, string what, TimeSpan timeout, long after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(match);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                foreach (var e in _events)
                {
                    if (e.Event.Sequence > after && match(e.Event))
                    {
                        return e;
                    }
                }
                if (_ended)
                {
                    throw new LabException($"{Node}: waiting for {what}: the daemon's event stream ended first. Events:\n{Describe()}");
                }
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LabTimeoutException($"{what} ({Node})", timeout, "Events:\n" + Describe());
            }
        }
    }

    /// <summary>Waits for the first event of <paramref name="kind"/> about <paramref name="subject"/> after <paramref name="after"/>.</summary>
    /// <param name="kind">The event kind, such as <c>group.started</c>.</param>
    /// <param name="subject">Its subject, such as the group's name.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="after">Only events with a greater sequence number count.</param>
    /// <param name="where">A further condition, or null.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="LabTimeoutException">No such event by the deadline.</exception>
    public async Task<ClusterEvent> WaitForAsync(string kind, string subject, TimeSpan timeout, long after, Func<ClusterEvent, bool>? where, CancellationToken cancellationToken)
    {
        var hit = await WaitAsync(e => e.Kind == kind && e.Subject == subject && (where?.Invoke(e) ?? true),
            $"event {kind} {subject}", timeout, after, cancellationToken).ConfigureAwait(false);
        return hit.Event;
    }

    /// <summary>One line per event so far: <c>#SEQ HH:mm:ss.fff KIND SUBJECT: REASON</c>.</summary>
    /// <returns>The lines.</returns>
    public string Describe()
    {
        lock (_lock)
        {
            return string.Join('\n', _events.Select(e => string.Create(CultureInfo.InvariantCulture,
                $"#{e.Event.Sequence} {e.Event.Time:HH:mm:ss.fff} {e.Event.Kind} {e.Event.Subject}: {e.Event.Reason}")));
        }
    }

    /// <summary>Stops following; the events stay readable.</summary>
    /// <returns>A task that completes when the follow has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _pump.ConfigureAwait(false);
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        _stop.Dispose();
    }

    private static async IAsyncEnumerable<ClusterEvent> FollowDaemonAsync(string runDirectory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var client = new ControlClient(runDirectory);
        await foreach (var ev in client.FollowEventsAsync(0, cancellationToken).ConfigureAwait(false))
        {
            yield return ev;
        }
    }

    private async Task PumpAsync(Func<CancellationToken, IAsyncEnumerable<ClusterEvent>> source)
    {
        // Off the caller's stack: opening the stream may block until the socket answers.
        await Task.Yield();
        try
        {
            await foreach (var ev in source(_stop.Token).ConfigureAwait(false))
            {
                var arrived = _time.GetTimestamp();
                _onEvent?.Invoke(ev);
                lock (_lock)
                {
                    _events.Add(new ArrivedEvent(ev, arrived));
                    Signal();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is DaemonUnreachableException or ControlApiException or IOException or HttpRequestException)
        {
            // The daemon went away (killed or stopped): the stream is over, and waiters learn it.
        }
        finally
        {
            lock (_lock)
            {
                _ended = true;
                Signal();
            }
        }
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}
