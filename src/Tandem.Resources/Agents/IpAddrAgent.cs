using System.Globalization;
using Tandem.Core.Model;

namespace Tandem.Resources.Agents;

/// <summary>
/// Built-in <c>IPaddr</c>/<c>IPaddr2</c>: adds a service address with <c>ip addr</c> and announces it by
/// gratuitous ARP (<c>arping -U</c>, when installed); stop removes it; monitor looks for it.
/// Parameters as the classic reader gives them: <c>ip</c>, <c>cidr_netmask</c>, <c>nic</c>, <c>broadcast</c>;
/// <c>netns</c> runs everything inside a named network namespace (tests).
/// </summary>
public sealed class IpAddrAgent : BuiltInAgent
{
    private static readonly string[] s_arpingPaths = ["/usr/sbin/arping", "/usr/bin/arping", "/sbin/arping"];

    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    public IpAddrAgent(ResourceSpec spec, AgentContext context, TimeProvider? time = null)
        : base(spec, context, time)
    {
    }

    private string? Ip => Spec.Parameters.GetValueOrDefault("ip");

    private string? Namespace => Spec.Parameters.GetValueOrDefault("netns");

    /// <inheritdoc />
    public override Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(System.Net.IPAddress.TryParse(Ip, out _) ? AgentResult.Ok() : new AgentResult(AgentCode.NotConfigured, "IPaddr needs an ip parameter"));

    /// <inheritdoc />
    protected override async Task<AgentResult> StartCoreAsync(CancellationToken cancellationToken)
    {
        if (!System.Net.IPAddress.TryParse(Ip, out var address))
        {
            return new AgentResult(AgentCode.NotConfigured, "IPaddr needs an ip parameter");
        }
        if (await FindAsync(cancellationToken).ConfigureAwait(false) is { } present)
        {
            return AgentResult.Ok($"{Ip} already on {present}");
        }
        var nic = Spec.Parameters.GetValueOrDefault("nic") ?? await RouteDeviceAsync(cancellationToken).ConfigureAwait(false);
        if (nic is null)
        {
            return new AgentResult(AgentCode.NotConfigured, $"no interface given and none routes to {Ip}");
        }
        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var cidr = Spec.Parameters.GetValueOrDefault("cidr_netmask") ?? (v6 ? "128" : "32");
        List<string> args = ["addr", "add", $"{Ip}/{cidr}"];
        if (!v6)
        {
            args.AddRange(["brd", Spec.Parameters.GetValueOrDefault("broadcast") ?? "+"]);
        }
        args.AddRange(["dev", nic]);
        var (rc, text) = await IpAsync(args, cancellationToken).ConfigureAwait(false);
        if (rc != 0)
        {
            return new AgentResult(AgentCode.GenericError, $"ip {string.Join(' ', args)} failed ({rc}): {text}");
        }
        var arping = s_arpingPaths.FirstOrDefault(File.Exists);
        if (v6 || arping is null)
        {
            return AgentResult.Ok($"added {Ip}/{cidr} on {nic}; no gratuitous ARP ({(v6 ? "IPv6" : "arping is not installed")})");
        }
        List<string> arp = [arping, "-U", "-c", "1", "-w", "1", "-I", nic, Ip!];
        var (arc, atext) = Namespace is { } ns
            ? await ExecAsync("ip", ["netns", "exec", ns, .. arp], cancellationToken).ConfigureAwait(false)
            : await ExecAsync(arp[0], arp[1..], cancellationToken).ConfigureAwait(false);
        return AgentResult.Ok($"added {Ip}/{cidr} on {nic}; gratuitous ARP {(arc is 0 or 1 ? "sent" : $"failed ({arc}): {atext}")}");
    }

    /// <inheritdoc />
    protected override async Task<AgentResult> StopCoreAsync(CancellationToken cancellationToken)
    {
        if (Ip is null)
        {
            return new AgentResult(AgentCode.NotConfigured, "IPaddr needs an ip parameter");
        }
        if (await FindAsync(cancellationToken).ConfigureAwait(false) is not { } line)
        {
            return AgentResult.Ok($"{Ip} not present");
        }
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var dev = fields[1].TrimEnd(':');
        var cidr = fields.SkipWhile(f => f is not ("inet" or "inet6")).Skip(1).FirstOrDefault() ?? Ip;
        var (rc, text) = await IpAsync(["addr", "del", cidr, "dev", dev.Split('@')[0]], cancellationToken).ConfigureAwait(false);
        return rc == 0 ? AgentResult.Ok($"removed {cidr} from {dev}") : new AgentResult(AgentCode.GenericError, $"ip addr del {cidr} failed ({rc}): {text}");
    }

    /// <inheritdoc />
    protected override async Task<AgentResult> MonitorCoreAsync(CancellationToken cancellationToken) =>
        Ip is null ? new AgentResult(AgentCode.NotConfigured, "IPaddr needs an ip parameter")
        : await FindAsync(cancellationToken).ConfigureAwait(false) is { } line ? AgentResult.Ok(line)
        : new AgentResult(AgentCode.NotRunning, $"{Ip} not present");

    private async Task<string?> FindAsync(CancellationToken cancellationToken)
    {
        var (rc, text) = await IpAsync(["-o", "addr", "show"], cancellationToken).ConfigureAwait(false);
        if (rc != 0)
        {
            return null;
        }
        var needle = $" {Ip}/";
        return text.Split('\n').FirstOrDefault(l => l.Contains(needle, StringComparison.Ordinal));
    }

    private async Task<string?> RouteDeviceAsync(CancellationToken cancellationToken)
    {
        var (rc, text) = await IpAsync(["-o", "route", "get", Ip!], cancellationToken).ConfigureAwait(false);
        if (rc != 0)
        {
            return null;
        }
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var i = Array.IndexOf(fields, "dev");
        return i >= 0 && i + 1 < fields.Length && fields[i + 1] != "lo" ? fields[i + 1] : null;
    }

    private Task<(int? ExitCode, string Output)> IpAsync(IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        Namespace is { } ns ? ExecAsync("ip", ["-n", ns, .. args], cancellationToken) : ExecAsync("ip", args, cancellationToken);

    /// <summary>The address and prefix this agent manages, for messages.</summary>
    /// <returns>For example <c>10.0.0.5/24</c>.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Ip}/{Spec.Parameters.GetValueOrDefault("cidr_netmask") ?? "?"}");
}
