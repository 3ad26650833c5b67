using System.Text.Json.Nodes;

namespace Tandem.Core.Status;

/// <summary>
/// A part of <c>tandem status</c> that a subsystem fills (links, peers, volumes, groups). The
/// daemon asks every registered section for a snapshot when status is requested.
/// </summary>
public interface IStatusSection
{
    /// <summary>The section's key in the status document (for example <c>volumes</c>).</summary>
    string Name { get; }

    /// <summary>A point-in-time snapshot of the section, as JSON.</summary>
    /// <returns>The snapshot; never null.</returns>
    JsonNode GetSnapshot();
}
