namespace Tandem.Lab.Placement;

/// <summary>A node that runs directly on this machine and speaks on 127.0.0.0/8 (its own address of the lab's subnet).</summary>
public sealed class LoopbackPlacement : INodePlacement
{
    /// <summary>The one instance: loopback placement has no state.</summary>
    public static LoopbackPlacement Instance { get; } = new();

    private LoopbackPlacement()
    {
    }

    /// <inheritdoc/>
    public string Description => "loopback";

    /// <inheritdoc/>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> commandLine) => commandLine;
}
