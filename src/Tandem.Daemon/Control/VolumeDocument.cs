namespace Tandem.Daemon.Control;

/// <summary>The answer of <c>POST /v1/volumes/{name}/attach</c> and <c>/detach</c>.</summary>
/// <param name="Name">The volume (export) name.</param>
/// <param name="Attached">Whether it is attached after the request.</param>
public sealed record VolumeDocument(string Name, bool Attached)
{
    /// <summary>The block device (/dev/loopN or /dev/nbdN): the one attached, or the one just detached; null when none.</summary>
    public string? Device { get; init; }

    /// <summary>How it is (or was) attached: <c>FuseLoop</c> or <c>KernelNbd</c>.</summary>
    public string? Method { get; init; }

    /// <summary>The symlink pointing at the device (the configured <c>device</c>), or null.</summary>
    public string? Link { get; init; }

    /// <summary>The export's Unix socket the device goes through.</summary>
    public string? Socket { get; init; }
}
