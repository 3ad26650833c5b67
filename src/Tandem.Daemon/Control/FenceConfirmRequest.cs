namespace Tandem.Daemon.Control;

/// <summary>The body of <c>POST /v1/fence/confirm</c>.</summary>
/// <param name="Node">The node the operator knows to be off.</param>
public sealed record FenceConfirmRequest(string? Node);
