using System.Security.Cryptography;
using System.Text;
using Tandem.Config;
using Tandem.Config.Native;
using Tandem.Core.Model;

namespace Tandem.Lab.Configuration;

/// <summary>
/// The generated configuration of a lab: a <see cref="ClusterSpec"/> built in code with these
/// helpers, written as a native <c>tandem.toml</c> by the same writer as <c>tandem config convert</c>.
/// </summary>
public static class LabConfig
{
    /// <summary>A ucast link on which each node has an address of its own and all use one port.</summary>
    /// <param name="name">The link name.</param>
    /// <param name="port">The UDP port of every endpoint.</param>
    /// <param name="nodes">Each node and its address.</param>
    /// <param name="networkInterface">The interface, or null for any.</param>
    /// <returns>The link.</returns>
    public static UnicastLinkSpec AddressPerNode(string name, int port, IEnumerable<(string Node, string Address)> nodes, string? networkInterface = null) =>
        new(name, networkInterface, port, [.. nodes.Select(n => new LinkEndpoint(n.Address, null, n.Node))]);

    /// <summary>A ucast link on which all nodes share one address and each has a port of its own.</summary>
    /// <param name="name">The link name.</param>
    /// <param name="address">The address of every endpoint.</param>
    /// <param name="nodes">Each node and its port; the link's own port is the first one.</param>
    /// <param name="networkInterface">The interface, or null for any.</param>
    /// <returns>The link.</returns>
    public static UnicastLinkSpec PortPerNode(string name, string address, IReadOnlyList<(string Node, int Port)> nodes, string? networkInterface = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfZero(nodes.Count);
        return new(name, networkInterface, nodes[0].Port, [.. nodes.Select(n => new LinkEndpoint(address, n.Port, n.Node))]);
    }

    /// <summary>One sha256 key, index 1, active.</summary>
    /// <param name="secret">The secret; a fresh random one (64 hex digits) when null.</param>
    /// <returns>The authentication section.</returns>
    public static AuthSpec Sha256Key(string? secret = null) =>
        new(1, [new AuthKey(1, AuthMethod.Sha256, secret ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)))]);

    /// <summary>Heartbeat timing with deadping equal to deadtime (what a configuration without it means).</summary>
    /// <param name="keepalive">The heartbeat interval.</param>
    /// <param name="warntime">The late-heartbeat warning.</param>
    /// <param name="deadtime">The silence that makes a node dead.</param>
    /// <param name="initdead">The deadtime until a node is first heard.</param>
    /// <returns>The timing.</returns>
    public static TimingSpec Timing(TimeSpan keepalive, TimeSpan warntime, TimeSpan deadtime, TimeSpan initdead) =>
        new() { Keepalive = keepalive, Warntime = warntime, Deadtime = deadtime, Initdead = initdead, Deadping = deadtime };

    /// <summary>The TOML text of <paramref name="spec"/>, after a comment of its own when given.</summary>
    /// <param name="spec">The cluster.</param>
    /// <param name="header">A comment for the top of the file (one line per line), or null.</param>
    /// <returns>The text.</returns>
    public static string Format(ClusterSpec spec, string? header = null)
    {
        var text = NativeConfigWriter.Write(spec);
        if (header is null)
        {
            return text;
        }
        var comment = new StringBuilder();
        foreach (var line in header.Split('\n'))
        {
            comment.Append("# ").Append(line.TrimEnd('\r')).Append('\n');
        }
        return comment.Append(text).ToString();
    }

    /// <summary>
    /// Writes <paramref name="spec"/> to a new file at <paramref name="path"/>, mode 0600 from its
    /// creation (it holds the key), and checks that it reads back as the same configuration.
    /// </summary>
    /// <param name="spec">The cluster.</param>
    /// <param name="path">The file; it must not exist.</param>
    /// <param name="header">A comment for the top of the file, or null.</param>
    /// <returns>The path.</returns>
    /// <exception cref="LabException">The configuration does not read back (the message lists the reader's diagnostics).</exception>
    public static string Write(ClusterSpec spec, string path, string? header = null)
    {
        var text = Format(spec, header);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var file = new StreamWriter(path, new UTF8Encoding(false), options))
        {
            file.Write(text);
        }
        // A lab that starts daemons on a configuration they refuse only learns it from their exit:
        // reading it back here names the problem at once.
        var diagnostics = new DiagnosticBag();
        NativeConfigReader.Parse(text, path, new ConfigOptions { NativeConfig = path }, diagnostics);
        if (diagnostics.HasErrors)
        {
            throw new LabException($"the generated configuration {path} does not read back: {string.Join("; ", diagnostics.Items.Select(d => d.ToString()))}");
        }
        return path;
    }
}
