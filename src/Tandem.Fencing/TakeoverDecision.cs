namespace Tandem.Fencing;

/// <summary>Whether this node may take over a departed peer's groups.</summary>
/// <param name="Peer">The peer.</param>
/// <param name="Allowed">True when the takeover may proceed.</param>
/// <param name="Basis">Why.</param>
/// <param name="Reason">Why, in an operator's words.</param>
public sealed record TakeoverDecision(string Peer, bool Allowed, TakeoverBasis Basis, string Reason);
