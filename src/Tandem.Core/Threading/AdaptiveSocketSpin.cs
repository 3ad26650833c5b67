using System.Net.Sockets;

namespace Tandem.Core.Threading;

/// <summary>
/// Decides whether a thread about to block in a socket read should first poll the socket for a
/// few microseconds, and does that polling. One instance per reading thread; not thread-safe.
/// </summary>
/// <remarks>
/// On a virtual machine a blocked thread that is woken from another CPU costs an inter-processor
/// interrupt and an idle exit, about 20 µs per request on the build machine: a queue-depth-1
/// client pays it on every request (docs/benchmarks.md, "QD1 and the wake-up"). Polling skips
/// it when the next request comes within the window. The window adapts so that the CPU spent
/// polling is bounded by what it saves: it opens only after a read found its data within the
/// maximum window, and halves on every poll that found nothing, down to no polling at all.
/// A thread whose peer is idle or slow therefore blocks at once, as if there were no spin.
/// </remarks>
public sealed class AdaptiveSocketSpin
{
    private readonly TimeProvider _time;
    private readonly long _maximum;
    private readonly long _minimum;
    private long _window;
    private long _waitStarted;

    /// <summary>Creates a spin that polls at most <paramref name="maximum"/> before each blocking read.</summary>
    /// <param name="maximum">The largest window; zero turns polling off.</param>
    /// <param name="time">The clock (the system's by default).</param>
    public AdaptiveSocketSpin(TimeSpan maximum, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, TimeSpan.Zero);
        _time = time ?? TimeProvider.System;
        _maximum = (long)(maximum.TotalSeconds * _time.TimestampFrequency);
        // Below an eighth of the maximum a window rarely catches anything; stop polling instead.
        _minimum = _maximum / 8;
    }

    /// <summary>The current polling window (zero when the next wait blocks at once).</summary>
    public TimeSpan Window => TimeSpan.FromSeconds((double)_window / _time.TimestampFrequency);

    /// <summary>
    /// Polls <paramref name="socket"/> within the current window. True when it has data to read:
    /// the read will not block. False when the caller will block: it must call
    /// <see cref="Woken"/> once its blocking read returned.
    /// </summary>
    public bool TryAvoidBlocking(Socket socket)
    {
        _waitStarted = _time.GetTimestamp();
        if (_window == 0)
        {
            return false;
        }
        var until = _waitStarted + _window;
        do
        {
            // FIONREAD: a cheap system call that never sleeps, unlike poll(2) with a timeout.
            if (socket.Available > 0)
            {
                return true;
            }
        }
        while (_time.GetTimestamp() < until);
        _window /= 2;
        if (_window < _minimum)
        {
            _window = 0;
        }
        return false;
    }

    /// <summary>Records that a blocking read returned: if it waited less than the maximum window,
    /// the next wait polls for the whole maximum window.</summary>
    public void Woken()
    {
        if (_maximum > 0 && _time.GetTimestamp() - _waitStarted <= _maximum)
        {
            _window = _maximum;
        }
    }
}
