namespace Tandem.Resources.Placement;

/// <summary>Feed <see cref="TimerFired"/> with <paramref name="Timer"/> after <paramref name="Due"/> (on the executor's TimeProvider).</summary>
/// <param name="Timer">The timer.</param>
/// <param name="Due">How long from now.</param>
public sealed record ScheduleTimer(PlacementTimer Timer, TimeSpan Due) : PlacementCommand;
