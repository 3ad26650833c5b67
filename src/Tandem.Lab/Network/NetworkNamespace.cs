using System.Globalization;

namespace Tandem.Lab.Network;

/// <summary>
/// A fresh network namespace with only a loopback interface (up), deleted on dispose. A node
/// configured with addresses that are not loopback ones (the seed's 192.168.0.x / 10.0.0.x) runs
/// only in such a namespace, where those networks exist only as the lab made them: no packet can
/// leave the machine.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private int _disposed;

    private NetworkNamespace(string name)
    {
        Name = name;
    }

    /// <summary>The namespace's name (<c>ip netns</c>): the prefix, this process's pid and a random part, so that concurrent runs cannot collide.</summary>
    public string Name { get; }

    /// <summary>Why namespaces cannot be made here (not root, no <c>ip</c>), or null when they can.</summary>
    /// <returns>The reason, as a sentence.</returns>
    public static string? UnavailableReason()
    {
        if (!IsRoot())
        {
            return "network namespaces need root";
        }
        var (rc, output) = IpCommand.Run("netns", "list");
        return rc == 0 ? null : $"`ip netns` is unavailable here (exit {rc}: {output.Trim()}); install iproute2";
    }

    /// <summary>Creates a namespace and brings its loopback interface up.</summary>
    /// <param name="prefix">The start of its name.</param>
    /// <returns>The namespace.</returns>
    /// <exception cref="LabException">It could not be made (the message says why).</exception>
    public static NetworkNamespace Create(string prefix = "tandem-lab")
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
        IpCommand.RunOk("netns", "add", name);
        var ns = new NetworkNamespace(name);
        try
        {
            IpCommand.RunOk("-n", name, "link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>Runs <c>ip -n NAME ARGS</c> in this namespace.</summary>
    /// <param name="args">The <c>ip</c> arguments after <c>-n NAME</c>.</param>
    /// <exception cref="LabException">The command failed.</exception>
    public void Ip(params string[] args) => IpCommand.RunOk(["-n", Name, .. args]);

    /// <summary>Deletes the namespace (and every interface inside it, with the peers of its veth pairs).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            IpCommand.Run("netns", "del", Name);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static bool IsRoot()
    {
        try
        {
            return File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?
                .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }
}
