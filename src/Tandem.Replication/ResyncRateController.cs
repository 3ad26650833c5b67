namespace Tandem.Replication;

/// <summary>
/// DRBD's resync-rate controller (drbd.md §4.2), in bytes and 100 ms steps. Fixed when
/// <c>c-plan-ahead</c> is 0: <c>resync-rate</c> per second. Dynamic otherwise: each step it
/// requests what came back in the last step plus this step's share of a correction that steers the
/// bytes in flight to <c>c-fill-target</c> (or, when that is 0, to what comes back in
/// <c>c-delay-target</c>), spread over a plan of <c>c-plan-ahead</c> steps; clamped to
/// <c>c-max-rate</c>.
/// </summary>
public sealed class ResyncRateController
{
    /// <summary>The controller's tick.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    private readonly long _fixedRate;
    private readonly long[] _plan;
    private readonly long _fillTarget;
    private readonly double _delayTargetSteps;
    private readonly long _maxPerStep;
    private int _head;

    /// <summary>Creates a controller.</summary>
    /// <param name="resyncRate">Bytes per second: the fixed rate, and the seed of the dynamic one.</param>
    /// <param name="planAhead">c-plan-ahead; zero for the fixed rate.</param>
    /// <param name="fillTarget">c-fill-target in bytes (0: use the delay target).</param>
    /// <param name="delayTarget">c-delay-target.</param>
    /// <param name="maxRate">c-max-rate in bytes per second.</param>
    public ResyncRateController(long resyncRate, TimeSpan planAhead, long fillTarget, TimeSpan delayTarget, long maxRate)
    {
        _fixedRate = Math.Max(resyncRate, 1);
        var steps = (int)(planAhead / Step);
        _plan = new long[Math.Max(steps, 0)];
        _fillTarget = fillTarget;
        _delayTargetSteps = delayTarget / Step;
        _maxPerStep = Math.Max(maxRate / 10, 1);
        // Seed: plan the fixed rate, so that the start is neither a stall nor a burst.
        Array.Fill(_plan, _fixedRate / 10);
    }

    /// <summary>Whether the dynamic controller is on.</summary>
    public bool Dynamic => _plan.Length > 0;

    /// <summary>The bytes to request in the next step.</summary>
    /// <param name="cameBack">Bytes acknowledged during the last step.</param>
    /// <param name="inFlight">Bytes requested and not yet acknowledged.</param>
    /// <returns>Bytes, at least 0.</returns>
    public long NextStep(long cameBack, long inFlight)
    {
        if (!Dynamic)
        {
            return _fixedRate / 10;
        }
        var want = _fillTarget > 0 ? _fillTarget : (long)(cameBack * _delayTargetSteps);
        long planned = 0;
        foreach (var p in _plan)
        {
            planned += p;
        }
        var correction = want - inFlight - planned;
        var share = correction / _plan.Length;
        for (var i = 0; i < _plan.Length; i++)
        {
            _plan[i] += share;
        }
        var thisStep = _plan[_head];
        _plan[_head] = 0;
        _head = (_head + 1) % _plan.Length;
        return Math.Clamp(cameBack + thisStep, 0, _maxPerStep);
    }
}
