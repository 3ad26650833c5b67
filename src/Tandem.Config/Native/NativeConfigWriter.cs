using Tandem.Core.Model;

namespace Tandem.Config.Native;

/// <summary>Writes a cluster model as a native <c>tandem.toml</c> (what <c>tandem config convert</c> prints).</summary>
public static class NativeConfigWriter
{
    /// <summary>Formats the model; reading the result back gives an equal model.</summary>
    /// <param name="spec">The cluster.</param>
    /// <returns>The TOML text.</returns>
    public static string Write(ClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return "# not written yet\n";
    }
}
