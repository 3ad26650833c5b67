namespace Tandem.Core.Model;

/// <summary>How nodes are fenced before their groups are taken over.</summary>
public sealed record FencingSpec
{
    /// <summary>
    /// True when the configuration explicitly runs without fencing: takeovers then proceed with a
    /// loud warning each time, as Heartbeat's did.
    /// </summary>
    public bool Disabled { get; init; }

    /// <summary>The fence devices, tried in order.</summary>
    public IReadOnlyList<FenceDeviceSpec> Devices { get; init; } = [];
}

/// <summary>A fence device.</summary>
/// <param name="Name">A name for status and events.</param>
/// <param name="Kind">What drives the device.</param>
/// <param name="Command">The fence agent or script path; empty for manual confirmation.</param>
public sealed record FenceDeviceSpec(string Name, FenceKind Kind, string Command)
{
    /// <summary>Parameters passed to the agent (fence-agents read them as <c>key=value</c> on stdin).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>The nodes this device can fence; empty for all.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>The node that runs this device (Heartbeat's <c>stonith_host FROM</c>); null for any.</summary>
    public string? RunsOn { get; init; }
}

/// <summary>Kinds of fence devices.</summary>
public enum FenceKind
{
    /// <summary>A Debian fence-agents program (stdin <c>key=value</c> protocol).</summary>
    FenceAgent,
    /// <summary>An external script called with the action and the node.</summary>
    Script,
    /// <summary>An operator confirms with <c>tandem fence confirm NODE</c>.</summary>
    Manual,
    /// <summary>A Heartbeat <c>stonith</c>/<c>stonith_host</c> plugin.</summary>
    Stonith,
}
