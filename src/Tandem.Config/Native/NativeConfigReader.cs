using Tandem.Core.Model;

namespace Tandem.Config.Native;

/// <summary>Reads the native <c>tandem.toml</c>.</summary>
public static class NativeConfigReader
{
    /// <summary>Reads a native configuration file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Facts about this machine.</param>
    /// <param name="diagnostics">Receives every finding, located by file, line and column.</param>
    /// <returns>The cluster; partial when there were errors.</returns>
    public static ClusterSpec Read(string path, ConfigOptions options, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        diagnostics.Error("TOML000", path, 0, 0, "the native reader is not written yet");
        return new ClusterSpec();
    }
}
