using Tandem.Core.Model;
using Tandem.Resources.Groups;

namespace Tandem.Daemon.Failover;

/// <summary>One group as the resource subsystem tracks it: its runner here, and what is known about the peer.</summary>
internal sealed class GroupSlot(int index, GroupSpec spec, GroupRunner runner)
{
    public int Index { get; } = index;

    public GroupSpec Spec { get; } = spec;

    public string Name => Spec.Name;

    public GroupRunner Runner { get; } = runner;

    public GroupHolder Holder { get; set; }

    /// <summary>The group's state on the peer, as its last state message said; null when unknown.</summary>
    public GroupState? PeerState { get; set; }

    /// <summary>The group failed here (start, or monitor beyond the restart limit); not retried here automatically.</summary>
    public bool FailedHere { get; set; }

    /// <summary>The group failed on the peer.</summary>
    public bool PeerFailed { get; set; }

    /// <summary>A start or stop runs.</summary>
    public bool Busy { get; set; }

    /// <summary>Stop as soon as the running operation ends (a request arrived during a start).</summary>
    public string? StopWhenIdle { get; set; }

    /// <summary>When the stop in progress ends, release the group to the peer with this code.</summary>
    public ReleaseCode? ReleaseAfterStop { get; set; }

    /// <summary>The request the release answers, or 0.</summary>
    public uint ReleaseRequestId { get; set; }

    /// <summary>Why the group does not run anywhere that this node can tell, when it is waiting for something.</summary>
    public string? Blocked { get; set; }

    /// <summary>When this node last started the group successfully.</summary>
    public DateTimeOffset? RunningSince { get; set; }

    /// <summary>A start was decided and its operation has not ended yet (the runner may not say Starting yet).</summary>
    public bool PendingStart { get; set; }

    /// <summary>True when the group may run here: a start is under way, or anything but cleanly stopped or rolled back.</summary>
    public bool ActiveHere => PendingStart || Runner.State is not (GroupState.Stopped or GroupState.Failed);

    /// <summary>The state this node reports for the group: Starting from the moment a start is decided.</summary>
    public GroupState ReportedState => PendingStart && !IsActive(Runner.State) ? GroupState.Starting : Runner.State;

    public static bool IsActive(GroupState state) => state is not (GroupState.Stopped or GroupState.Failed);
}
