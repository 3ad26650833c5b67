namespace Tandem.Fencing;

/// <summary>One fence device.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Kind">fenceagent, script, manual, ...</param>
/// <param name="RunsOn">The node it runs on; null for any.</param>
/// <param name="Targets">The nodes it fences; empty for every node.</param>
/// <param name="Unsupported">Why it cannot work here, when it cannot.</param>
public sealed record FenceDeviceStatus(
    string Name,
    string Kind,
    string? RunsOn,
    IReadOnlyList<string> Targets,
    string? Unsupported);
