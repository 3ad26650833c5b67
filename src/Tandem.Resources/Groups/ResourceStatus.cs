namespace Tandem.Resources.Groups;

/// <summary>A snapshot of one resource for status.</summary>
/// <param name="Id">The resource id.</param>
/// <param name="Agent">The agent description.</param>
/// <param name="State">Its state.</param>
/// <param name="LastFailure">The last failure, or null.</param>
/// <param name="LastFailureTime">When it happened, or null.</param>
/// <param name="Restarts">In-place restarts within the current window.</param>
public sealed record ResourceStatus(string Id, string Agent, ResourceState State, string? LastFailure, DateTimeOffset? LastFailureTime, int Restarts);
