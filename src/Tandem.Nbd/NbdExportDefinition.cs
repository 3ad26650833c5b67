using System.Net;
using Tandem.Core.Volumes;

namespace Tandem.Nbd;

/// <summary>One export as a host configures it.</summary>
/// <param name="Name">The export (resource) name.</param>
/// <param name="Volume">The volume to serve; the service does not dispose it.</param>
/// <param name="SocketPath">The Unix socket (the daemon uses RUN_DIR/nbd/&lt;resource&gt;.sock).</param>
public sealed record NbdExportDefinition(string Name, IBlockVolume Volume, string SocketPath)
{
    /// <summary>A TCP address to serve on as well, or null (prefer loopback: NBD has no authentication).</summary>
    public IPEndPoint? TcpEndPoint { get; init; }

    /// <summary>A description for NBD_INFO_DESCRIPTION and LIST, or null.</summary>
    public string? Description { get; init; }

    /// <summary>The configured <c>device</c> (the seed's /dev/drbd0), shown in status, or null.</summary>
    public string? Device { get; init; }

    /// <summary>Server limits; <see cref="NbdServerOptions.SocketPath"/> and <see cref="NbdServerOptions.TcpEndPoint"/> are taken from this record.</summary>
    public NbdServerOptions Options { get; init; } = new();
}
