using System.Diagnostics;
using Xunit;

namespace Tandem.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh network namespace with only a loopback interface, deleted on dispose. A node configured
/// with the seed's 192.168.0.x / 10.0.0.x addresses runs only in such a namespace, where those
/// networks do not exist: no packet can leave the machine.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private NetworkNamespace(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>Creates a namespace, or skips the test (with the reason) when that is impossible here.</summary>
    public static NetworkNamespace CreateOrSkip()
    {
        if (Environment.UserName != "root" && !IsRoot())
        {
            Assert.Skip("network namespaces need root; run the tests as root to start the seed's nodes in isolation");
        }
        var name = "tandem-it-" + Guid.NewGuid().ToString("N")[..8];
        var (rc, output) = Ip("netns", "add", name);
        if (rc != 0)
        {
            Assert.Skip($"`ip netns add` is unavailable here (exit {rc}: {output.Trim()}); install iproute2 and run as root");
        }
        var ns = new NetworkNamespace(name);
        var (up, upOutput) = Ip("-n", name, "link", "set", "lo", "up");
        if (up != 0)
        {
            ns.Dispose();
            throw new InvalidOperationException($"cannot bring lo up in {name}: {upOutput}");
        }
        return ns;
    }

    public void Dispose() => Ip("netns", "del", Name);

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?
                .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static (int ExitCode, string Output) Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        try
        {
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, e.Message);
        }
    }
}
