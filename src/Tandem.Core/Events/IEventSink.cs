namespace Tandem.Core.Events;

/// <summary>
/// Where subsystems report state changes. The daemon's implementation numbers, timestamps, logs
/// and fans them out to <c>tandem events</c> subscribers.
/// </summary>
public interface IEventSink
{
    /// <summary>Records one state change.</summary>
    /// <param name="kind">What changed, dotted (for example <c>link.dead</c>).</param>
    /// <param name="subject">What it happened to.</param>
    /// <param name="reason">Why, in an operator's words.</param>
    /// <param name="data">Extra facts, or null.</param>
    /// <returns>The event as recorded, with its sequence number and time.</returns>
    ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null);
}
