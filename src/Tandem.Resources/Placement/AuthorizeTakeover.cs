namespace Tandem.Resources.Placement;

/// <summary>
/// Ask the takeover rule (fencing the peer when it needs to) whether the groups of takeover
/// <paramref name="Epoch"/> may be taken over; answer with <see cref="TakeoverAnswered"/>.
/// </summary>
/// <param name="Epoch">The takeover.</param>
/// <param name="Peer">The node to take over from.</param>
public sealed record AuthorizeTakeover(int Epoch, string Peer) : PlacementCommand;
