using Tandem.Core.Events;

namespace Tandem.Lab.Events;

/// <summary>An event of a node's feed with the moment it reached the lab.</summary>
/// <param name="Event">The event as the daemon published it (its <see cref="ClusterEvent.Time"/> is the daemon's wall clock).</param>
/// <param name="Arrived">When it arrived, as a <see cref="TimeProvider.GetTimestamp"/> of the feed's clock.</param>
public readonly record struct ArrivedEvent(ClusterEvent Event, long Arrived);
