namespace Tandem.Daemon.Control;

/// <summary>The body of <c>POST /v1/standby</c> and <c>POST /v1/takeover</c>.</summary>
/// <param name="Groups"><c>all</c> (the default), <c>local</c> or <c>foreign</c>.</param>
public sealed record PlacementRequest(string? Groups);
