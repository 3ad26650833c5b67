using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Daemon.Control;

namespace Tandem.Daemon.Events;

/// <summary>
/// The node's event stream: numbers events from 1 without gaps, stamps them with the injected
/// clock and the node name, keeps the most recent in a bounded ring for <c>tandem events</c>,
/// appends each to a JSON-lines file, logs it, and hands it to every live subscriber.
/// </summary>
public sealed partial class EventLog : IEventSink, IDisposable
{
    /// <summary>How many events a subscriber may fall behind before it is dropped.</summary>
    internal const int SubscriberBacklogLimit = 4096;

    /// <summary>The file is moved aside at start-up when larger than this.</summary>
    internal const long RotateAtBytes = 64L * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly ClusterEvent[] _ring;
    private readonly string _node;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<Channel<ClusterEvent>> _subscribers = [];
    private TaskCompletionSource _subscribersChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FileStream? _file;
    private int _ringStart;
    private int _ringCount;
    private long _lastSequence;
    private bool _completed;
    private bool _disposed;

    /// <summary>Creates the log.</summary>
    /// <param name="node">The node name stamped on every event.</param>
    /// <param name="capacity">How many recent events to keep in memory.</param>
    /// <param name="filePath">The JSON-lines file to append to, or null to keep events in memory only.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">Where each event is also logged.</param>
    public EventLog(string node, int capacity, string? filePath, TimeProvider timeProvider, ILogger<EventLog> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _node = node;
        _ring = new ClusterEvent[capacity];
        _time = timeProvider;
        _logger = logger;
        FilePath = filePath;
        if (filePath is not null)
        {
            _file = OpenFile(filePath);
        }
    }

    /// <summary>The JSON-lines file, or null.</summary>
    public string? FilePath { get; }

    /// <summary>The sequence number of the most recent event; 0 before the first.</summary>
    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _lastSequence;
            }
        }
    }

    /// <summary>The number of live subscribers.</summary>
    internal int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Completes when the number of live subscribers is <paramref name="count"/> (for tests).</summary>
    /// <param name="count">The awaited number.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>A task that completes when the count is reached.</returns>
    internal async Task WaitForSubscriberCountAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_subscribers.Count == count)
                {
                    return;
                }
                changed = _subscribersChanged.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(reason);
        // A copy, so that a caller mutating its dictionary later cannot rewrite history.
        var frozen = data is null ? null : new Dictionary<string, string>(data, StringComparer.Ordinal);
        lock (_lock)
        {
            // Numbering, the ring, the file and the fan-out happen under one lock so that every
            // reader sees the same order, and a subscriber's backlog and live part neither overlap
            // nor leave a gap.
            var ev = new ClusterEvent(++_lastSequence, _time.GetUtcNow(), _node, kind, subject, reason) { Data = frozen };
            var index = (_ringStart + _ringCount) % _ring.Length;
            _ring[index] = ev;
            if (_ringCount < _ring.Length)
            {
                _ringCount++;
            }
            else
            {
                _ringStart = (_ringStart + 1) % _ring.Length;
            }
            Append(ev);
            LogEvent(_logger, ev.Sequence, ev.Node, ev.Kind, ev.Subject, ev.Reason);
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                if (!_subscribers[i].Writer.TryWrite(ev))
                {
                    // Never block the publisher on a slow reader: drop the reader and say why.
                    _subscribers[i].Writer.TryComplete(new EventSubscriberTooSlowException(SubscriberBacklogLimit));
                    _subscribers.RemoveAt(i);
                    SignalSubscribersChanged();
                    LogSubscriberDropped(_logger, SubscriberBacklogLimit);
                }
            }
            return ev;
        }
    }

    /// <summary>The events still in memory with a sequence number above <paramref name="since"/>.</summary>
    /// <param name="since">The last sequence number the caller has; 0 for everything kept.</param>
    /// <returns>The events in order.</returns>
    public IReadOnlyList<ClusterEvent> ReadSince(long since)
    {
        lock (_lock)
        {
            return SnapshotSince(since);
        }
    }

    /// <summary>
    /// Subscribes to the stream: the events kept above <paramref name="since"/>, then every new one,
    /// until <see cref="Complete"/> is called or the subscription is disposed.
    /// </summary>
    /// <param name="since">The last sequence number the caller has.</param>
    /// <returns>The subscription; dispose it to stop receiving.</returns>
    public EventSubscription Subscribe(long since)
    {
        var channel = Channel.CreateBounded<ClusterEvent>(new BoundedChannelOptions(SubscriberBacklogLimit)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails, and Publish drops the reader
        });
        lock (_lock)
        {
            var backlog = SnapshotSince(since);
            if (_completed)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _subscribers.Add(channel);
                SignalSubscribersChanged();
            }
            return new EventSubscription(since, backlog, channel.Reader, () => Unsubscribe(channel));
        }
    }

    /// <summary>
    /// Ends every subscription (the daemon is stopping). Events published afterwards are still
    /// numbered, kept and written to the file.
    /// </summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }
            _subscribers.Clear();
            SignalSubscribersChanged();
        }
    }

    /// <summary>Completes the subscriptions and closes the file.</summary>
    public void Dispose()
    {
        Complete();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _file?.Dispose();
            _file = null;
        }
    }

    private List<ClusterEvent> SnapshotSince(long since)
    {
        var result = new List<ClusterEvent>();
        for (var i = 0; i < _ringCount; i++)
        {
            var ev = _ring[(_ringStart + i) % _ring.Length];
            if (ev.Sequence > since)
            {
                result.Add(ev);
            }
        }
        return result;
    }

    private void Unsubscribe(Channel<ClusterEvent> channel)
    {
        lock (_lock)
        {
            if (_subscribers.Remove(channel))
            {
                SignalSubscribersChanged();
            }
        }
        channel.Writer.TryComplete();
    }

    private void SignalSubscribersChanged()
    {
        var changed = _subscribersChanged;
        _subscribersChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private void Append(ClusterEvent ev)
    {
        if (_file is null)
        {
            return;
        }
        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(ev, ControlJsonContext.Default.ClusterEvent);
            _file.Write(bytes);
            _file.WriteByte((byte)'\n');
            _file.Flush();
        }
        catch (IOException e)
        {
            // A full or failing disk must not stop the node; the ring and the log still have it.
            LogFileWriteFailed(_logger, e, FilePath!);
            _file.Dispose();
            _file = null;
        }
    }

    private FileStream? OpenFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > RotateAtBytes)
            {
                File.Move(path, path + ".1", overwrite: true);
            }
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogFileWriteFailed(_logger, e, path);
            return null;
        }
    }

    [LoggerMessage(EventId = 200, EventName = "Tandem.Daemon.Event", Level = LogLevel.Information,
        Message = "#{Sequence} {Node} {Kind} {Subject}: {Reason}")]
    private static partial void LogEvent(ILogger logger, long sequence, string node, string kind, string subject, string reason);

    [LoggerMessage(EventId = 201, EventName = "Tandem.Daemon.EventFileFailed", Level = LogLevel.Error,
        Message = "Cannot write the event log file {Path}; events are kept in memory only from now on")]
    private static partial void LogFileWriteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 202, EventName = "Tandem.Daemon.EventSubscriberDropped", Level = LogLevel.Warning,
        Message = "An event follower fell more than {Limit} events behind and was disconnected")]
    private static partial void LogSubscriberDropped(ILogger logger, int limit);
}
