namespace Tandem.Nbd.Attach;

/// <summary>An export attached as a block device; also the content of the attach state file.</summary>
/// <param name="Name">The attachment's key (the resource name).</param>
/// <param name="SocketPath">The NBD socket the device reads and writes through.</param>
/// <param name="DevicePath">The block device (/dev/loopN or /dev/nbdN).</param>
/// <param name="Method">How it was attached.</param>
public sealed record AttachedDevice(string Name, string SocketPath, string DevicePath, AttachMethod Method)
{
    /// <summary>The symlink made to <see cref="DevicePath"/> (the configured <c>device</c>, e.g. /dev/drbd0), or null.</summary>
    public string? Link { get; init; }

    /// <summary>The nbdfuse process (FUSE path only), or null.</summary>
    public int? HelperPid { get; init; }

    /// <summary>The FUSE mount point (FUSE path only; mounted only inside nbdfuse's private mount namespace), or null.</summary>
    public string? MountPoint { get; init; }

    /// <summary>When it was attached.</summary>
    public DateTimeOffset Since { get; init; }
}
