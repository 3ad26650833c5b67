namespace Tandem.Daemon.Subsystems;

/// <summary>Why an attach or detach was refused or failed; the control API maps it to an HTTP status.</summary>
public enum VolumeOperationError
{
    /// <summary>The request is malformed (400).</summary>
    BadRequest,

    /// <summary>No such export on this node (404).</summary>
    NotFound,

    /// <summary>It would replace a real file, or it is already attached (409).</summary>
    Conflict,

    /// <summary>A step of attach or detach failed (500).</summary>
    Failed,
}
