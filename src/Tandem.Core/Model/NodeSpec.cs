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
}
