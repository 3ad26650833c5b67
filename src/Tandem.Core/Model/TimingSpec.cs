namespace Tandem.Core.Model;

/// <summary>Heartbeat timing. The defaults are Heartbeat 3.0.6's compiled-in ones.</summary>
public sealed record TimingSpec
{
    /// <summary>Interval between heartbeats.</summary>
    /// <value>1 s.</value>
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Silence after which a late-heartbeat warning is raised.</summary>
    /// <value>Half of <see cref="Deadtime"/>.</value>
    public TimeSpan Warntime { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Silence on every link after which a node is declared dead.</summary>
    /// <value>30 s.</value>
    public TimeSpan Deadtime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The deadtime used until a node has first been heard, to allow for slow boots.</summary>
    /// <value>Derived from <see cref="Deadtime"/> as Heartbeat does.</value>
    public TimeSpan Initdead { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Silence after which a ping node is declared dead.</summary>
    /// <value>Equal to <see cref="Deadtime"/>.</value>
    public TimeSpan Deadping { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The warntime Heartbeat derives when none is set: half the deadtime.</summary>
    /// <param name="deadtime">The configured deadtime.</param>
    /// <returns>The default warntime.</returns>
    public static TimeSpan DefaultWarntime(TimeSpan deadtime) => deadtime / 2;

    /// <summary>
    /// The initdead Heartbeat derives when none is set: equal to deadtime above 10 s,
    /// 12 s below 6 s, else twice the deadtime.
    /// </summary>
    /// <param name="deadtime">The configured deadtime.</param>
    /// <returns>The default initdead.</returns>
    public static TimeSpan DefaultInitdead(TimeSpan deadtime) =>
        deadtime > TimeSpan.FromSeconds(10) ? deadtime
        : deadtime < TimeSpan.FromSeconds(6) ? TimeSpan.FromSeconds(12)
        : deadtime * 2;
}
