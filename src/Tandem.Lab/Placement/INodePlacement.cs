namespace Tandem.Lab.Placement;

/// <summary>
/// Where a node of the lab runs: directly on this machine's loopback, or inside a network namespace
/// of its own (whose links to the other nodes a later lab adds as veth pairs). Every process of the
/// node (its daemon, and the tools a test runs "on" it) is started through its placement.
/// </summary>
public interface INodePlacement
{
    /// <summary>How failure messages name the placement: <c>loopback</c>, <c>netns tandem-lab-1234-ab</c>.</summary>
    string Description { get; }

    /// <summary>The command line that runs <paramref name="commandLine"/> in this placement.</summary>
    /// <param name="commandLine">The program and its arguments.</param>
    /// <returns>The command line to execute; its process is the program itself (the pid stays the program's).</returns>
    IReadOnlyList<string> Wrap(IReadOnlyList<string> commandLine);
}
