namespace Tandem.Core.Volumes;

/// <summary>Optional capabilities of an <see cref="IBlockVolume"/>.</summary>
[Flags]
public enum VolumeFeatures
{
    /// <summary>Read and write only.</summary>
    None = 0,

    /// <summary>Writes are refused.</summary>
    ReadOnly = 1,

    /// <summary>Trim does something useful (deallocates).</summary>
    Trim = 2,

    /// <summary>Write-zeroes is supported (always true in practice: it can fall back to writing zeros).</summary>
    WriteZeroes = 4,

    /// <summary>Write-zeroes with <see cref="WriteZeroesFlags.FastOnly"/> can succeed (NBD FAST_ZERO).</summary>
    FastZero = 8,

    /// <summary>A flush covers writes completed through every handle on this volume, so several
    /// NBD connections may share it and flush on any of them (NBD CAN_MULTI_CONN).</summary>
    FlushCoversAllConnections = 16,
}
