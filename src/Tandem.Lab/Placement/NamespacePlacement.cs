using Tandem.Lab.Network;

namespace Tandem.Lab.Placement;

/// <summary>
/// A node inside a network namespace: its processes start through <c>ip netns exec</c>, which
/// replaces itself with the program (the pid stays the program's) and gives it a mount namespace
/// of its own, slave to this machine's.
/// </summary>
/// <param name="Namespace">The namespace; its owner removes it.</param>
public sealed record NamespacePlacement(NetworkNamespace Namespace) : INodePlacement
{
    /// <inheritdoc/>
    public string Description => "netns " + Namespace.Name;

    /// <inheritdoc/>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> commandLine) => ["ip", "netns", "exec", Namespace.Name, .. commandLine];
}
