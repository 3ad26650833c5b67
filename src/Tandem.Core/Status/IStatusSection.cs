namespace Tandem.Core.Status;

/// <summary>
/// A part of <c>tandem status</c> that a subsystem fills (links, peers, volumes, groups). The
/// daemon asks every registered section for a snapshot when status is requested.
/// </summary>
public interface IStatusSection
{
    /// <summary>The section's key in the status document (for example <c>volumes</c>).</summary>
    string Name { get; }

    /// <summary>
    /// A point-in-time snapshot of the section: an immutable typed record, or an array of them. The
    /// daemon writes it as JSON at the control API, with the API's one naming policy (camelCase),
    /// so its type must be one the API's source-generated JSON context knows.
    /// </summary>
    /// <returns>The snapshot; never null.</returns>
    object GetSnapshot();
}
