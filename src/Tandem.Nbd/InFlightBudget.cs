namespace Tandem.Nbd;

/// <summary>
/// Bounds one connection's requests and bytes in flight. The receive loop is the only acquirer;
/// completions and the send loop release. A request larger than the byte budget is still let
/// through when nothing else is in flight, so every legal request can make progress.
/// </summary>
internal sealed class InFlightBudget
{
    private readonly Lock _lock = new();
    private readonly int _maxRequests;
    private readonly long _maxBytes;
    private int _requests;
    private long _bytes;
    private TaskCompletionSource? _waiter;

    public InFlightBudget(int maxRequests, long maxBytes)
    {
        _maxRequests = Math.Max(1, maxRequests);
        _maxBytes = Math.Max(1, maxBytes);
    }

    public int Requests
    {
        get
        {
            lock (_lock)
            {
                return _requests;
            }
        }
    }

    public ValueTask AcquireAsync(int bytes, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Fits(bytes))
            {
                _requests++;
                _bytes += bytes;
                return ValueTask.CompletedTask;
            }
        }
        return AcquireSlowAsync(bytes, cancellationToken);
    }

    public void Release(int requests, long bytes)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            _requests -= requests;
            _bytes -= bytes;
            waiter = _waiter;
            _waiter = null;
        }
        waiter?.TrySetResult();
    }

    /// <summary>Waits until nothing is in flight.</summary>
    public async ValueTask WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_requests == 0)
                {
                    return;
                }
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool Fits(int bytes) =>
        _requests < _maxRequests && (_bytes + bytes <= _maxBytes || _requests == 0);

    private async ValueTask AcquireSlowAsync(int bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (Fits(bytes))
                {
                    _requests++;
                    _bytes += bytes;
                    return;
                }
                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
