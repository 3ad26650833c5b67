using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Tandem.Config;

/// <summary>
/// What Heartbeat checks of the machine when it starts, rather than of the file: that a medium's
/// interface and a serial port exist, that a ping host resolves, that a respawned program is
/// executable and its user exists, that a compression module exists. <c>config check</c> reports a
/// failed fact as a warning (the file may be checked on another machine); the daemon's start, with
/// <see cref="ConfigOptions.StartChecksAreErrors"/>, as an error with its line, as Heartbeat refuses
/// to start.
/// </summary>
public sealed record HostFacts
{
    /// <summary>This machine.</summary>
    public static HostFacts System { get; } = new();

    /// <summary>Whether a network interface exists (<c>ip link</c> shows it).</summary>
    public Func<string, bool> InterfaceExists { get; init; } = SystemInterfaceExists;

    /// <summary>Whether a device file (a serial port) exists.</summary>
    public Func<string, bool> DeviceExists { get; init; } = path => File.Exists(path);

    /// <summary>Whether a host name or address resolves to an address.</summary>
    public Func<string, bool> Resolves { get; init; } = SystemResolves;

    /// <summary>Whether a user exists (<c>getent passwd</c>).</summary>
    public Func<string, bool> UserExists { get; init; } = SystemUserExists;

    /// <summary>Whether a file exists and is executable.</summary>
    public Func<string, bool> IsExecutable { get; init; } = SystemIsExecutable;

    /// <summary>
    /// The compression modules Heartbeat 3.0.6 can load (cluster-glue's <c>zlib</c> and <c>bz2</c>);
    /// Tandem compresses nothing, but a name Heartbeat cannot load makes it refuse to start.
    /// </summary>
    public IReadOnlySet<string> CompressionModules { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "zlib", "bz2" };

    private static bool SystemInterfaceExists(string name)
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces().Any(n => n.Name == name);
        }
        catch (NetworkInformationException)
        {
            return Directory.Exists(Path.Combine("/sys/class/net", name));
        }
    }

    private static bool SystemResolves(string host)
    {
        if (IPAddress.TryParse(host, out _))
        {
            return true;
        }
        try
        {
            return Dns.GetHostAddresses(host).Length > 0;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool SystemUserExists(string user)
    {
        try
        {
            return File.ReadLines("/etc/passwd").Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // cannot tell: do not report what may be true
        }
    }

    private static bool SystemIsExecutable(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        if (OperatingSystem.IsWindows())
        {
            return true;
        }
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
