namespace Tandem.Core.Volumes;

/// <summary>Options of <see cref="IBlockVolume.WriteZeroesAsync"/>.</summary>
[Flags]
public enum WriteZeroesFlags
{
    /// <summary>Holes may be punched; not durable until a flush.</summary>
    None = 0,

    /// <summary>The range must stay allocated (NBD NO_HOLE).</summary>
    NoHole = 1,

    /// <summary>Fail (return false) rather than fall back to writing zeros (NBD FAST_ZERO).</summary>
    FastOnly = 2,

    /// <summary>Complete only when the zeros are durable (NBD FUA).</summary>
    ForceUnitAccess = 4,
}
