namespace Tandem.Resources.Groups;

/// <summary>One resource of a group in the <c>groups</c> status section.</summary>
/// <param name="Id">The resource id.</param>
/// <param name="Agent">Its agent.</param>
/// <param name="State">Its state (lower case).</param>
/// <param name="LastFailure">What failed last, if anything did.</param>
/// <param name="LastFailureTime">When.</param>
/// <param name="Restarts">Restarts so far.</param>
public sealed record GroupResourceStatus(
    string Id,
    string Agent,
    string State,
    string? LastFailure,
    DateTimeOffset? LastFailureTime,
    int Restarts)
{
    /// <summary>The status entry of a resource.</summary>
    /// <param name="status">The runner's view of it.</param>
    /// <returns>The entry.</returns>
    public static GroupResourceStatus From(ResourceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new(status.Id, status.Agent, status.State.ToString().ToLowerInvariant(), status.LastFailure, status.LastFailureTime, status.Restarts);
    }
}
