namespace Tandem.Core.Model;

/// <summary>A cluster member.</summary>
/// <param name="Name">The node name; on a real host it equals <c>uname -n</c>.</param>
public sealed record NodeSpec(string Name)
{
    /// <summary>
    /// Where this node's NBD exports listen on TCP, when they should (for example <c>127.0.0.1:10809</c>);
    /// null to serve on the Unix socket in the run directory only.
    /// </summary>
    public string? NbdListen { get; init; }

    /// <summary>TLS for <see cref="NbdListen"/> (required there when set), or null.</summary>
    public NbdTlsSpec? NbdTls { get; init; }

    /// <summary>
    /// The operator's explicit opt-in to plain NBD on <see cref="NbdListen"/> (native
    /// <c>nbd_insecure = true</c>): without TLS anyone who can connect may read and write the
    /// volume. Without TLS and without this opt-in the TCP listener is refused.
    /// </summary>
    public bool NbdInsecure { get; init; }
}
