namespace Tandem.Resources.Placement;

/// <summary>Write the takeover to the log (a warning: the groups of another node start here).</summary>
/// <param name="Groups">The groups, comma-separated.</param>
/// <param name="Peer">The node they are taken from.</param>
/// <param name="How">On what basis.</param>
public sealed record LogTakeover(string Groups, string Peer, string How) : PlacementCommand;
