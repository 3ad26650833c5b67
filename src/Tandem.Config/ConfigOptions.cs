using System.Net;
using System.Net.NetworkInformation;

namespace Tandem.Config;

/// <summary>Where to read a configuration from, and the facts about this machine a reader needs.</summary>
public sealed record ConfigOptions
{
    /// <summary>The default directory of the classic Heartbeat files.</summary>
    public const string DefaultHaDirectory = "/etc/ha.d";

    /// <summary>The default DRBD configuration file.</summary>
    public const string DefaultDrbdConf = "/etc/drbd.conf";

    /// <summary>The default native configuration file.</summary>
    public const string DefaultNativeConfig = "/etc/tandem/tandem.toml";

    /// <summary>The directory holding <c>ha.cf</c>, <c>authkeys</c> and <c>haresources</c>; null for the default.</summary>
    public string? HaDirectory { get; init; }

    /// <summary>The DRBD configuration file; null for the default (read only when it exists).</summary>
    public string? DrbdConf { get; init; }

    /// <summary>The native configuration file; when set, the classic files are not read.</summary>
    public string? NativeConfig { get; init; }

    /// <summary>The node this machine is, for checks that depend on it; null when not known.</summary>
    public string? LocalNode { get; init; }

    /// <summary>
    /// True to accept unkeyed authentication (<c>crc</c>), which authenticates nothing. Off by
    /// default: anyone on the network could then forge cluster messages.
    /// </summary>
    public bool AllowInsecureAuth { get; init; }

    /// <summary>
    /// True to skip the mode check of key files. Only for tests that cannot set file modes; the CLI
    /// never sets it.
    /// </summary>
    public bool SkipKeyFileModeCheck { get; init; }

    /// <summary>
    /// Tells whether an address belongs to this machine (Heartbeat ignores <c>ucast</c> lines naming
    /// a local address, so that one file fits every node). Defaults to the machine's interfaces.
    /// </summary>
    public Func<IPAddress, bool> IsLocalAddress { get; init; } = DefaultIsLocalAddress;

    /// <summary>Facts about this machine that Heartbeat checks at start (interfaces, serial ports, users, ...).</summary>
    /// <value><see cref="HostFacts.System"/>.</value>
    public HostFacts Host { get; init; } = HostFacts.System;

    /// <summary>
    /// Whether a failed start check (<see cref="HostFacts"/>) is an error, as when the daemon starts,
    /// rather than a warning, as in <c>config check</c>.
    /// </summary>
    public bool StartChecksAreErrors { get; init; }

    /// <summary>
    /// Directories searched, in order, for Heartbeat R1 resource scripts; null for
    /// <c>HA_DIR/resource.d</c> then <c>/etc/init.d</c>.
    /// </summary>
    public IReadOnlyList<string>? ResourceScriptDirectories { get; init; }

    /// <summary>The effective Heartbeat directory.</summary>
    public string EffectiveHaDirectory => HaDirectory ?? DefaultHaDirectory;

    /// <summary>The effective R1 script search path.</summary>
    public IReadOnlyList<string> EffectiveResourceScriptDirectories =>
        ResourceScriptDirectories ?? [Path.Combine(EffectiveHaDirectory, "resource.d"), "/etc/init.d"];

    private static bool DefaultIsLocalAddress(IPAddress address)
    {
        if (IPAddress.IsLoopback(address))
        {
            return false; // loopback addresses are how tests run several nodes on one machine
        }
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var ua in nic.GetIPProperties().UnicastAddresses)
                {
                    if (ua.Address.Equals(address))
                    {
                        return true;
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Without interface information every address is treated as remote; the reader then
            // keeps the entry, which is the safe side (a heartbeat to ourselves is ignored).
        }
        return false;
    }
}
