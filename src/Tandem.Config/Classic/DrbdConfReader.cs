using Tandem.Core.Model;

namespace Tandem.Config.Classic;

/// <summary>Reads DRBD's <c>drbd.conf</c> (with its <c>include</c> globs) into replicated resources.</summary>
public static class DrbdConfReader
{
    /// <summary>Reads a drbd.conf and everything it includes.</summary>
    /// <param name="path">The top-level file.</param>
    /// <param name="diagnostics">Receives every finding, located by file, line and column.</param>
    /// <returns>The resources; partial when there were errors.</returns>
    public static IReadOnlyList<ReplicatedResourceSpec> Read(string path, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        diagnostics.Error("DRBD000", path, 0, 0, "the drbd.conf reader is not written yet");
        return [];
    }
}
