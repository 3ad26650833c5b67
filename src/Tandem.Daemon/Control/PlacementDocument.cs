namespace Tandem.Daemon.Control;

/// <summary>The answer of the placement endpoints (standby, takeover, failback, fence confirm).</summary>
/// <param name="Node">The node that answered.</param>
/// <param name="Action">What was asked: <c>standby</c>, <c>takeover</c>, <c>failback</c> or <c>fence-confirm</c>.</param>
/// <param name="Groups">The groups it moves or confirms.</param>
/// <param name="Message">What happens now.</param>
public sealed record PlacementDocument(string Node, string Action, IReadOnlyList<string> Groups, string Message);
