namespace Tandem.Nbd.Attach;

/// <summary>Options of <see cref="VolumeAttacher.AttachAsync"/>.</summary>
public sealed record AttachOptions
{
    /// <summary>The attachment's key; null uses the socket file name without extension (r0 for r0.sock).</summary>
    public string? Name { get; init; }

    /// <summary>The export to ask for; empty for the server's default export.</summary>
    public string ExportName { get; init; } = "";

    /// <summary>A path to point at the device with a symlink (the configured <c>device</c>, e.g. /dev/drbd0), or null.</summary>
    public string? Link { get; init; }

    /// <summary>Attach read-only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Which path to use.</summary>
    /// <value><see cref="AttachMethod.Auto"/>.</value>
    public AttachMethod Method { get; init; } = AttachMethod.Auto;

    /// <summary>How long to wait for the helper and the device.</summary>
    /// <value>15 seconds.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);
}
