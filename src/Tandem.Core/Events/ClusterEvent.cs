namespace Tandem.Core.Events;

/// <summary>
/// One state change on a node: the unit of <c>tandem events</c>. Every subsystem reports its
/// changes as events, with the reason, so that operators and tests read the same history.
/// </summary>
/// <param name="Sequence">Position in this node's stream, from 1, without gaps.</param>
/// <param name="Time">When the change happened.</param>
/// <param name="Node">The node that reports it.</param>
/// <param name="Kind">What changed, dotted (for example <c>daemon.started</c>, <c>link.dead</c>).</param>
/// <param name="Subject">What it happened to (a node, link, volume or group name).</param>
/// <param name="Reason">Why, in words an operator reads.</param>
public sealed record ClusterEvent(long Sequence, DateTimeOffset Time, string Node, string Kind, string Subject, string Reason)
{
    /// <summary>Extra facts, by name (for example the old and new state).</summary>
    public IReadOnlyDictionary<string, string>? Data { get; init; }
}
