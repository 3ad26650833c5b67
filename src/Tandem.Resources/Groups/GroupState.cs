namespace Tandem.Resources.Groups;

/// <summary>The state of a group on this node.</summary>
public enum GroupState
{
    /// <summary>Not running here.</summary>
    Stopped,
    /// <summary>Being started.</summary>
    Starting,
    /// <summary>Every resource runs here.</summary>
    Running,
    /// <summary>Being stopped.</summary>
    Stopping,
    /// <summary>A resource failed and is being restarted in place.</summary>
    Recovering,
    /// <summary>A start failed and the group was stopped again.</summary>
    Failed,
    /// <summary>A stop failed: the node needs fencing before the group may run elsewhere.</summary>
    StopFailed,
}
