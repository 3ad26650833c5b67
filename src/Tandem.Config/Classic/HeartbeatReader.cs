using Tandem.Core.Model;

namespace Tandem.Config.Classic;

/// <summary>Reads Heartbeat's <c>ha.cf</c>, <c>authkeys</c> and <c>haresources</c> from one directory.</summary>
public static class HeartbeatReader
{
    /// <summary>Reads the three files of <see cref="ConfigOptions.EffectiveHaDirectory"/> into a cluster model.</summary>
    /// <param name="options">Where to read, and facts about this machine.</param>
    /// <param name="diagnostics">Receives every finding, located by file, line and column.</param>
    /// <returns>The cluster without replicated resources; partial when there were errors.</returns>
    public static ClusterSpec Read(ConfigOptions options, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(diagnostics);
        diagnostics.Error("HA000", options.EffectiveHaDirectory, 0, 0, "the Heartbeat reader is not written yet");
        return new ClusterSpec();
    }
}
