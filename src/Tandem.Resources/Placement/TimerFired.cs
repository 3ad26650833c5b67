namespace Tandem.Resources.Placement;

/// <summary>A timer the engine set (<see cref="ScheduleTimer"/>) is due.</summary>
/// <param name="Timer">Which one.</param>
public sealed record TimerFired(PlacementTimer Timer) : PlacementInput;
