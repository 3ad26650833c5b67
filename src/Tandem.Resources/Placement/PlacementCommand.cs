namespace Tandem.Resources.Placement;

/// <summary>
/// What the <see cref="PlacementEngine"/> wants done: the executor (the daemon's resource
/// subsystem) carries each out in order and feeds what comes of it back as an input.
/// </summary>
public abstract record PlacementCommand;
