using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Groups;

namespace Tandem.Resources.Placement;

/// <summary>
/// One group as the <see cref="PlacementEngine"/> tracks it: its <see cref="PlacementState"/> with
/// the data that state needs, and what is known of the peer's copy. Read-only outside the engine;
/// the engine changes it only through the named transitions below.
/// </summary>
public sealed class GroupPlacement
{
    internal GroupPlacement(int index, GroupSpec spec, string me)
    {
        Index = index;
        Spec = spec;
        PreferredHere = string.Equals(spec.PreferredNode, me, StringComparison.OrdinalIgnoreCase);
        Volumes = [.. spec.Resources.Where(VolumeAgent.IsVolumeResource).Select(VolumeAgent.VolumeOf).OfType<string>()];
    }

    /// <summary>The group's position in the configuration.</summary>
    public int Index { get; }

    /// <summary>The group.</summary>
    public GroupSpec Spec { get; }

    /// <summary>The group's name.</summary>
    public string Name => Spec.Name;

    /// <summary>True when this node is the group's preferred node.</summary>
    public bool PreferredHere { get; }

    /// <summary>The replicated volumes its drbddisk/volume resources use.</summary>
    public IReadOnlyList<string> Volumes { get; }

    /// <summary>The state.</summary>
    public PlacementState State { get; private set; }

    /// <summary>In <see cref="PlacementState.Stopping"/>: what follows the stop; in <see cref="PlacementState.Starting"/>: a stop due once the start ends.</summary>
    public StopPlan? Plan { get; private set; }

    /// <summary>In <see cref="PlacementState.Running"/> and <see cref="PlacementState.FailbackPending"/>: since when.</summary>
    public DateTimeOffset? RunningSince { get; private set; }

    /// <summary>Why it waits or is down (awaiting takeover, failed, stop failed, blocked, deferred failback), in an operator's words.</summary>
    public string? Waiting { get; internal set; }

    /// <summary>In <see cref="PlacementState.Blocked"/>: the node whose stop failed (where it may still run).</summary>
    public string? BlockedOn { get; private set; }

    /// <summary>The group's state on the peer, as its last message said; null when unknown.</summary>
    public GroupState? PeerState { get; internal set; }

    /// <summary>It failed here (start, or monitor beyond the restart limit) and is not retried here automatically.</summary>
    public bool FailedHere { get; internal set; }

    /// <summary>It failed on the peer.</summary>
    public bool PeerFailed { get; internal set; }

    /// <summary>Who may start it (only the holder ever does).</summary>
    /// <param name="me">This node's name.</param>
    /// <returns>The holder.</returns>
    public GroupHolder HolderFor(string me) => State switch
    {
        PlacementState.Undecided => GroupHolder.Unknown,
        PlacementState.Peer or PlacementState.AwaitingTakeover => GroupHolder.Peer,
        PlacementState.Blocked => string.Equals(BlockedOn, me, StringComparison.OrdinalIgnoreCase) ? GroupHolder.Me : GroupHolder.Peer,
        _ => GroupHolder.Me,
    };

    /// <summary>True when it may run here: started or starting, stopping, or a stop failed here.</summary>
    public bool ActiveHere => State is PlacementState.Starting or PlacementState.Running or PlacementState.FailbackPending
        or PlacementState.Stopping or PlacementState.StopFailed || (State == PlacementState.Blocked && BlockedHere);

    /// <summary>True when it is blocked by a stop that failed on this node.</summary>
    public bool BlockedHere { get; private set; }

    /// <summary>True while a start or stop runs here.</summary>
    public bool Busy => State is PlacementState.Starting or PlacementState.Stopping;

    /// <summary>The state this node reports for it in its State messages.</summary>
    public GroupState Reported => State switch
    {
        PlacementState.Starting => GroupState.Starting,
        PlacementState.Running or PlacementState.FailbackPending => GroupState.Running,
        PlacementState.Stopping => GroupState.Stopping,
        PlacementState.StopFailed => GroupState.StopFailed,
        PlacementState.Blocked when BlockedHere => GroupState.StopFailed,
        _ => FailedHere ? GroupState.Failed : GroupState.Stopped,
    };

    internal void ToUndecided() => Become(PlacementState.Undecided);

    internal void ToPeer() => Become(PlacementState.Peer);

    internal void ToStarting() => Become(PlacementState.Starting);

    internal void Replan(StopPlan plan) => Plan = plan;

    internal void ToRunning(DateTimeOffset since)
    {
        Become(PlacementState.Running);
        RunningSince = since;
    }

    internal void ToFailbackPending(string why)
    {
        var since = RunningSince;
        Become(PlacementState.FailbackPending, why);
        RunningSince = since;
    }

    internal void BackToRunning()
    {
        var since = RunningSince;
        Become(PlacementState.Running);
        RunningSince = since;
    }

    internal void ToStopping(StopPlan plan)
    {
        Become(PlacementState.Stopping);
        Plan = plan;
    }

    internal void ToStopped() => Become(PlacementState.Stopped);

    internal void ToFailed(string why) => Become(PlacementState.Failed, why);

    internal void ToAwaitingTakeover(string why) => Become(PlacementState.AwaitingTakeover, why);

    internal void ToStopFailed(string why) => Become(PlacementState.StopFailed, why);

    internal void ToBlocked(string node, bool here, string why)
    {
        Become(PlacementState.Blocked, why);
        BlockedOn = node;
        BlockedHere = here;
    }

    private void Become(PlacementState state, string? waiting = null)
    {
        State = state;
        Waiting = waiting;
        Plan = null;
        RunningSince = null;
        BlockedOn = null;
        BlockedHere = false;
    }
}
