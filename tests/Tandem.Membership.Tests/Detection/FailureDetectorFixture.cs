using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Model;
using Tandem.Membership.Detection;

namespace Tandem.Membership.Tests.Detection;

/// <summary>
/// The detector tests' shared set-up: node alpha with peer beta, keepalive 100 ms, warntime 500 ms,
/// deadtime 1 s, initdead 2 s, on a <see cref="FakeTimeProvider"/> that only the test moves.
/// </summary>
internal sealed class FailureDetectorFixture : IDisposable
{
    /// <summary>The keepalive of <see cref="Timing"/>.</summary>
    public static readonly TimeSpan Keepalive = TimeSpan.FromMilliseconds(100);

    /// <summary>The timing every detector test runs with.</summary>
    public static readonly TimingSpec Timing = new()
    {
        Keepalive = Keepalive,
        Warntime = TimeSpan.FromMilliseconds(500),
        Deadtime = TimeSpan.FromMilliseconds(1000),
        Initdead = TimeSpan.FromMilliseconds(2000),
    };

    /// <summary>Creates alpha's detector; started at once unless <paramref name="start"/> is false (a test that subscribes first).</summary>
    /// <param name="links">alpha's links.</param>
    /// <param name="start">Whether to start the detector now.</param>
    public FailureDetectorFixture(string[] links, bool start)
    {
        Events = new RecordingEventSink(Time) { Node = "alpha" };
        Detector = new FailureDetector("alpha", ["alpha", "beta"], links, Timing, Events, Time, NullLogger.Instance);
        if (start)
        {
            Detector.Start();
        }
    }

    /// <summary>The clock; only the test moves it.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>The events alpha's detector published.</summary>
    public RecordingEventSink Events { get; }

    /// <summary>alpha's detector.</summary>
    public FailureDetector Detector { get; }

    /// <summary>Moves simulated time in 1 ms steps, as a running node's clock moves (a single jump is a stall).</summary>
    /// <param name="by">How far.</param>
    public void Advance(TimeSpan by)
    {
        var step = TimeSpan.FromMilliseconds(1);
        for (var t = TimeSpan.Zero; t < by; t += step)
        {
            Time.Advance(step);
        }
    }

    /// <summary><see cref="Advance"/> by milliseconds.</summary>
    /// <param name="ms">How many.</param>
    public void Ms(int ms) => Advance(TimeSpan.FromMilliseconds(ms));

    /// <inheritdoc/>
    public void Dispose() => Detector.Dispose();
}
