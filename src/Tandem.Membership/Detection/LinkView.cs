namespace Tandem.Membership.Detection;

/// <summary>One link to one peer, as of a snapshot.</summary>
/// <param name="Link">The link name.</param>
/// <param name="Status">Its state.</param>
/// <param name="SinceLastHeard">Time since the last heartbeat on it, or null if never heard.</param>
/// <param name="Heartbeats">Heartbeats accepted on it.</param>
public sealed record LinkView(string Link, LinkStatus Status, TimeSpan? SinceLastHeard, long Heartbeats);
