namespace Tandem.Resources.Groups;

/// <summary>How a group operation ended.</summary>
public enum GroupOutcome
{
    /// <summary>Every resource runs.</summary>
    Started,
    /// <summary>A start failed; what was started was stopped again (the group may run elsewhere).</summary>
    StartFailed,
    /// <summary>Every resource is stopped.</summary>
    Stopped,
    /// <summary>Monitoring gave up restarting in place: the group was stopped here and should run on the peer.</summary>
    MoveRequired,
    /// <summary>
    /// A stop failed after its retries: a resource may still run here, so the group must not start
    /// elsewhere until this node is fenced. The caller must fence this node (or have the peer do it).
    /// </summary>
    StopFailedNeedsFencing,
}
