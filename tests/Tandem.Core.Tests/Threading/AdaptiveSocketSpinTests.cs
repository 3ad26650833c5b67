using System.Net.Sockets;
using Tandem.Core.Threading;
using Xunit;

namespace Tandem.Core.Tests.Threading;

public sealed class AdaptiveSocketSpinTests : IDisposable
{
    private static readonly TimeSpan Maximum = TimeSpan.FromMicroseconds(80);
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-spin-").FullName;
    private readonly Socket _reader;
    private readonly Socket _writer;
    private readonly StepClock _clock = new();

    public AdaptiveSocketSpinTests()
    {
        var path = Path.Combine(_dir, "s");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        _writer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _writer.Connect(new UnixDomainSocketEndPoint(path));
        _reader = listener.Accept();
    }

    [Fact]
    public void A_fresh_spin_blocks_at_once()
    {
        var spin = new AdaptiveSocketSpin(Maximum, _clock);

        Assert.False(spin.TryAvoidBlocking(_reader));
        Assert.Equal(1, _clock.Reads);
    }

    [Fact]
    public void A_wake_within_the_maximum_opens_the_whole_window()
    {
        var spin = new AdaptiveSocketSpin(Maximum, _clock);
        spin.TryAvoidBlocking(_reader);
        _clock.Advance(70);

        spin.Woken();

        Assert.Equal(Maximum, spin.Window);
    }

    [Fact]
    public void A_wake_after_the_maximum_leaves_it_closed()
    {
        var spin = new AdaptiveSocketSpin(Maximum, _clock);
        spin.TryAvoidBlocking(_reader);
        _clock.Advance(200);

        spin.Woken();

        Assert.Equal(TimeSpan.Zero, spin.Window);
    }

    [Fact]
    public void Data_that_is_there_avoids_blocking_and_keeps_the_window()
    {
        var spin = Opened();
        _writer.Send([1]);
        WaitUntilReadable();

        Assert.True(spin.TryAvoidBlocking(_reader));
        Assert.Equal(Maximum, spin.Window);
    }

    [Fact]
    public void Empty_polls_last_the_window_and_halve_it_until_it_closes()
    {
        var spin = Opened();
        var windows = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            var before = _clock.Now;
            Assert.False(spin.TryAvoidBlocking(_reader));
            var expected = i == 0 ? 80 : windows[^1];
            Assert.True(_clock.Now - before >= expected, $"poll {i} lasted {_clock.Now - before} µs, window {expected} µs");
            windows.Add(spin.Window.TotalMicroseconds);
        }

        // 80 -> 40 -> 20 -> 10 (an eighth of the maximum, still polled) -> 5, below it: closed.
        Assert.Equal([40.0, 20.0, 10.0, 0.0], windows);
    }

    [Fact]
    public void A_zero_maximum_never_polls()
    {
        var spin = new AdaptiveSocketSpin(TimeSpan.Zero, _clock);
        spin.TryAvoidBlocking(_reader);
        spin.Woken();

        Assert.Equal(TimeSpan.Zero, spin.Window);
        var reads = _clock.Reads;
        Assert.False(spin.TryAvoidBlocking(_reader));
        Assert.Equal(reads + 1, _clock.Reads);
    }

    public void Dispose()
    {
        _reader.Dispose();
        _writer.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private AdaptiveSocketSpin Opened()
    {
        var spin = new AdaptiveSocketSpin(Maximum, _clock);
        spin.TryAvoidBlocking(_reader);
        spin.Woken();
        Assert.Equal(Maximum, spin.Window);
        return spin;
    }

    private void WaitUntilReadable() =>
        Assert.True(_reader.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead), "the byte sent did not arrive within 10 s");

    /// <summary>A clock in microseconds that moves one microsecond each time it is read.</summary>
    private sealed class StepClock : TimeProvider
    {
        public long Now { get; private set; }

        public int Reads { get; private set; }

        public override long TimestampFrequency => 1_000_000;

        public override long GetTimestamp()
        {
            Reads++;
            return ++Now;
        }

        public void Advance(long microseconds) => Now += microseconds;
    }
}
