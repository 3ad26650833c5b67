namespace Tandem.Resources.Groups;

/// <summary>One entry of the <c>groups</c> status section: where the group runs, its state here, each resource.</summary>
public sealed record GroupStatus
{
    /// <summary>The group's name.</summary>
    public required string Name { get; init; }

    /// <summary>The node that should run it (haresources' first column), if any.</summary>
    public string? PreferredNode { get; init; }

    /// <summary>The node it runs on, as far as this node knows; null when nowhere.</summary>
    public string? RunningOn { get; init; }

    /// <summary>Its state on this node (stopped, running, stopfailed, ...).</summary>
    public required string State { get; init; }

    /// <summary>Its state on the peer, as the peer last reported it.</summary>
    public string? PeerState { get; init; }

    /// <summary>The placement engine's state of the group on this node (undecided, running, blocked…).</summary>
    public string? Placement { get; init; }

    /// <summary>Which node holds it (placement's view).</summary>
    public string? Holder { get; init; }

    /// <summary>When it started running here.</summary>
    public DateTimeOffset? RunningSince { get; init; }

    /// <summary>True when it failed on this node and may not run here until cleaned up.</summary>
    public bool? FailedHere { get; init; }

    /// <summary>Why it waits, when it does.</summary>
    public string? Blocked { get; init; }

    /// <summary>Its resources, in start order.</summary>
    public required IReadOnlyList<GroupResourceStatus> Resources { get; init; }
}
