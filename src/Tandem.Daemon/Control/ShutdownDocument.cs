namespace Tandem.Daemon.Control;

/// <summary>The answer of <c>POST /v1/shutdown</c>.</summary>
/// <param name="Node">The node that is stopping.</param>
/// <param name="Stopping">True: the stop has begun.</param>
public sealed record ShutdownDocument(string Node, bool Stopping);
