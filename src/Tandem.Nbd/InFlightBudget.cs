namespace Tandem.Nbd;

/// <summary>
/// Bounds one connection's requests and bytes in flight. The receive loop (on the connection's
/// own thread) is the only acquirer and blocks when the budget is spent; the send loop releases
/// once replies have left the process. A request larger than the byte budget still goes through
/// when nothing else is in flight, so every legal request can make progress.
/// </summary>
internal sealed class InFlightBudget
{
    private readonly object _lock = new();
    private readonly int _maxRequests;
    private readonly long _maxBytes;
    private int _requests;
    private long _bytes;

    public InFlightBudget(int maxRequests, long maxBytes)
    {
        _maxRequests = Math.Max(1, maxRequests);
        _maxBytes = Math.Max(1, maxBytes);
    }

    /// <summary>Requests in flight now (a snapshot).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Takes one request and <paramref name="bytes"/> if they fit now.</summary>
    public bool TryAcquire(int bytes)
    {
        lock (_lock)
        {
            if (!Fits(bytes))
            {
                return false;
            }
            _requests++;
            _bytes += bytes;
            return true;
        }
    }

    /// <summary>Takes one request and <paramref name="bytes"/>, waiting while the budget is spent.</summary>
    public void Acquire(int bytes, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            while (!Fits(bytes))
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Woken by Release; the timeout only bounds how late a cancellation is noticed.
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(200));
            }
            _requests++;
            _bytes += bytes;
        }
    }

    public void Release(int requests, long bytes)
    {
        if (requests == 0 && bytes == 0)
        {
            return;
        }
        lock (_lock)
        {
            _requests -= requests;
            _bytes -= bytes;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits until nothing is in flight, at most <paramref name="timeout"/>.</summary>
    /// <returns>True when idle.</returns>
    public bool WaitIdle(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_requests > 0)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(Math.Min(left, 200)));
            }
            return true;
        }
    }

    private bool Fits(int bytes) =>
        _requests < _maxRequests && (_bytes + bytes <= _maxBytes || _requests == 0);
}
