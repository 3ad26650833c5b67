namespace Tandem.Core.Volumes;

/// <summary>Why a volume operation failed; the NBD server maps it to an errno.</summary>
public enum VolumeError
{
    /// <summary>An input/output error (EIO).</summary>
    Io,

    /// <summary>No space left (ENOSPC).</summary>
    NoSpace,

    /// <summary>The volume is read-only (EPERM).</summary>
    ReadOnly,

    /// <summary>The range or arguments are invalid (EINVAL).</summary>
    Invalid,

    /// <summary>The volume is going away (ESHUTDOWN); clients should disconnect.</summary>
    Shutdown,
}
