namespace Tandem.Resources.Groups;

/// <summary>The state of one resource on this node.</summary>
public enum ResourceState
{
    /// <summary>Not running here.</summary>
    Stopped,
    /// <summary>Being started.</summary>
    Starting,
    /// <summary>Running.</summary>
    Running,
    /// <summary>Being stopped.</summary>
    Stopping,
    /// <summary>A start or monitor failed.</summary>
    Failed,
    /// <summary>A stop failed: it may still run, the node needs fencing.</summary>
    StopFailed,
}
