namespace Tandem.Replication.Transport;

/// <summary>
/// One direction of an in-memory connection: the bytes one end wrote and the other has not read
/// yet, at most <c>capacity</c> of them (then the writer waits, as on a full socket buffer). It
/// can be paused (bytes are held, not lost), closed by either end (end of stream, or a reset for
/// the writer), or broken (both ends fail, a cut cable). Thread-safe.
/// </summary>
internal sealed class InMemoryWire(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<byte[]> _segments = new();
    private int _headOffset;
    private long _buffered;
    private bool _writerClosed;
    private bool _readerClosed;
    private bool _paused;
    private string? _broken;
    private TaskCompletionSource? _readable;
    private TaskCompletionSource? _writable;

    /// <summary>Appends bytes (copied); waits while the wire holds its capacity.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                ThrowIfBrokenLocked();
                if (_readerClosed || _writerClosed)
                {
                    throw new IOException("the in-memory connection was closed by the other end");
                }
                if (_buffered < capacity)
                {
                    if (!data.IsEmpty)
                    {
                        _segments.Enqueue(data.ToArray());
                        _buffered += data.Length;
                        Signal(ref _readable);
                    }
                    return;
                }
                wait = (_writable ??= NewSignal()).Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads what is there (waits for some while empty or paused); 0 at the end of the stream.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                ThrowIfBrokenLocked();
                if (destination.IsEmpty)
                {
                    return 0;
                }
                if (!_paused && _buffered > 0)
                {
                    var n = 0;
                    while (n < destination.Length && _segments.TryPeek(out var head))
                    {
                        var take = Math.Min(destination.Length - n, head.Length - _headOffset);
                        head.AsSpan(_headOffset, take).CopyTo(destination.Span[n..]);
                        n += take;
                        _headOffset += take;
                        if (_headOffset == head.Length)
                        {
                            _segments.Dequeue();
                            _headOffset = 0;
                        }
                    }
                    _buffered -= n;
                    Signal(ref _writable);
                    return n;
                }
                if (_writerClosed && _buffered == 0)
                {
                    return 0;
                }
                wait = (_readable ??= NewSignal()).Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The writing end closed: the reader gets the rest, then the end of the stream.</summary>
    public void CloseWriter() => Update(() => _writerClosed = true);

    /// <summary>The reading end closed: the writer's next write fails.</summary>
    public void CloseReader() => Update(() =>
    {
        _readerClosed = true;
        _segments.Clear();
        _buffered = 0;
    });

    /// <summary>Both ends fail from now on, with what is in flight lost.</summary>
    public void Break(string reason) => Update(() =>
    {
        _broken ??= reason;
        _segments.Clear();
        _buffered = 0;
    });

    /// <summary>Holds the bytes (the reader waits) until <see cref="Resume"/>.</summary>
    public void Pause() => Update(() => _paused = true);

    /// <summary>Delivers what was held.</summary>
    public void Resume() => Update(() => _paused = false);

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
            Signal(ref _readable);
            Signal(ref _writable);
        }
    }

    private void ThrowIfBrokenLocked()
    {
        if (_broken is not null)
        {
            throw new IOException($"the in-memory connection was cut: {_broken}");
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void Signal(ref TaskCompletionSource? signal)
    {
        signal?.TrySetResult();
        signal = null;
    }
}
