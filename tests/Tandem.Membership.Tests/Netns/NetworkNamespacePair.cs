using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tandem.Membership.Tests.Netns;

/// <summary>
/// Two network namespaces joined by two veth pairs, each end named eth1/eth2 on both sides
/// (10.201.1.0/24 and 10.201.2.0/24; .1 is alpha, .2 is beta). Sockets are created inside a
/// namespace by a short-lived thread that entered it with setns(2), so both nodes run in this
/// process and the test can drive them directly. Deleted on Dispose.
/// </summary>
internal sealed partial class NetworkNamespacePair : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private NetworkNamespacePair(string alpha, string beta)
    {
        Alpha = alpha;
        Beta = beta;
    }

    public string Alpha { get; }

    public string Beta { get; }

    public static string? WhyUnavailable() =>
        Environment.UserName != "root" && geteuid() != 0 ? "needs root (network namespaces)"
        : !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") ? "iproute2 is not installed"
        : null;

    public static NetworkNamespacePair Create()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var pair = new NetworkNamespacePair($"tandem-mb-{id}-a", $"tandem-mb-{id}-b");
        try
        {
            Ip($"netns add {pair.Alpha}");
            Ip($"netns add {pair.Beta}");
            for (var n = 1; n <= 2; n++)
            {
                var a = $"tmb{id}a{n}";
                var b = $"tmb{id}b{n}";
                Ip($"link add {a} type veth peer name {b}");
                Ip($"link set {a} netns {pair.Alpha}");
                Ip($"link set {b} netns {pair.Beta}");
                Ip($"-n {pair.Alpha} link set {a} name eth{n}");
                Ip($"-n {pair.Beta} link set {b} name eth{n}");
                Ip($"-n {pair.Alpha} addr add 10.201.{n}.1/24 brd + dev eth{n}");
                Ip($"-n {pair.Beta} addr add 10.201.{n}.2/24 brd + dev eth{n}");
                Ip($"-n {pair.Alpha} link set eth{n} up");
                Ip($"-n {pair.Beta} link set eth{n} up");
            }
            Ip($"-n {pair.Alpha} link set lo up");
            Ip($"-n {pair.Beta} link set lo up");
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="action"/> on a thread inside namespace <paramref name="ns"/>.</summary>
    public static T InNamespace<T>(string ns, Func<T> action)
    {
        T? result = default;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{ns}");
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({ns}) failed: errno {Marshal.GetLastPInvokeError()}");
                }
                result = action();
            }
#pragma warning disable CA1031 // rethrown on the calling thread
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw new InvalidOperationException($"in namespace {ns}: {error.Message}", error);
        }
        return result!;
    }

    public static void Ip(string args) => Run("ip", args);

    public static void Run(string program, string args)
    {
        var psi = new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {args} failed ({p.ExitCode}): {stderr.Trim()}");
        }
    }

    public void Dispose()
    {
        foreach (var ns in new[] { Alpha, Beta })
        {
            try
            {
                Ip($"netns del {ns}");
            }
            catch (InvalidOperationException)
            {
                // not created
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
