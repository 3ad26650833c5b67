namespace Tandem.Resources.Placement;

/// <summary>One group in a placement message, with a code whose meaning depends on the message type.</summary>
/// <param name="Group">The group name.</param>
/// <param name="Code">A <see cref="Resources.Groups.GroupState"/> (State), a <see cref="ReleaseCode"/> (Released, Leaving), or 0.</param>
public readonly record struct PlacementEntry(string Group, byte Code);
