using Tandem.Core.Model;

namespace Tandem.Config;

/// <summary>The outcome of loading a configuration: the model when usable, and every finding.</summary>
/// <param name="Spec">The cluster, or null when an error made it unusable.</param>
/// <param name="Diagnostics">Every finding, errors first in file order.</param>
public sealed record ConfigResult(ClusterSpec? Spec, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>True when the configuration has no errors.</summary>
    public bool IsValid => Spec is not null && !Diagnostics.Any(d => d.Severity == Severity.Error);
}
