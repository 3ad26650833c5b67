namespace Tandem.Nbd;

/// <summary>One export of <see cref="NbdExportService"/>: where it listens, its attached device, its clients.</summary>
/// <param name="Size">The volume's size in bytes.</param>
/// <param name="Socket">The Unix socket it listens on.</param>
/// <param name="Tcp">The TCP address, when it listens on one.</param>
/// <param name="Device">The configured device (/dev/drbd0).</param>
/// <param name="AttachedDevice">The block device attached on this node, if any.</param>
/// <param name="AttachMethod">How it is attached (KernelNbd, FuseLoop).</param>
/// <param name="ClientCount">How many clients are connected.</param>
/// <param name="Connections">Per listener: open connections and what was refused, evicted or timed out.</param>
/// <param name="Clients">The connected clients.</param>
public sealed record NbdExportStatus(
    long Size,
    string Socket,
    string? Tcp,
    string? Device,
    string? AttachedDevice,
    string? AttachMethod,
    int ClientCount,
    NbdConnectionsStatus Connections,
    IReadOnlyList<NbdClientInfo> Clients);
