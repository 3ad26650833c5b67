using Tandem.Core.Model;

namespace Tandem.Config.Classic;

/// <summary>
/// Reads Heartbeat's <c>haresources</c>: one resource group per logical line (<c>\</c> continues a
/// line, <c>#</c> starts a comment), the preferred node first, then resources as
/// <c>agent::arg::arg</c> or a bare IP address (<c>IPaddr</c>). Codes <c>HARES001</c>..; see
/// docs/configuration-classic-heartbeat.md.
/// </summary>
public static class HaResourcesReader
{
    internal static readonly HbTextCodes Codes = new("HARES002", "HARES003", "HARES004", "HARES015");

    /// <summary>
    /// The agents Tandem drives itself (<see cref="AgentClass.BuiltIn"/>): they need no script on
    /// the machine, because the volume, the mount, the address and the mail are Tandem's own work.
    /// </summary>
    public static readonly IReadOnlySet<string> BuiltInAgents = new HashSet<string>(StringComparer.Ordinal)
    {
        "drbddisk", "volume", "Filesystem", "IPaddr", "IPaddr2", "MailTo",
    };

    /// <summary>Reads an <c>haresources</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="nodes">The nodes of ha.cf, which the preferred nodes must name; empty to skip the check.</param>
    /// <param name="scriptDirectories">Where R1 scripts are looked up, in order.</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <returns>The groups in file order, or null when the file cannot be read.</returns>
    public static IReadOnlyList<GroupSpec>? Read(string path, IReadOnlyList<NodeSpec> nodes, IReadOnlyList<string> scriptDirectories, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var text = HbText.TryRead(path, Codes, diagnostics, "Heartbeat's haresources");
        return text is null ? null : Parse(text, path, nodes, scriptDirectories, diagnostics);
    }

    /// <summary>Parses the text of an <c>haresources</c> file.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="fileName">The name used in diagnostics.</param>
    /// <param name="nodes">The nodes of ha.cf, which the preferred nodes must name; empty to skip the check.</param>
    /// <param name="scriptDirectories">Where R1 scripts are looked up, in order.</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <returns>The groups in file order; partial when there were errors.</returns>
    public static IReadOnlyList<GroupSpec> Parse(string text, string fileName, IReadOnlyList<NodeSpec> nodes, IReadOnlyList<string> scriptDirectories, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(scriptDirectories);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var report = new HbFileReport(diagnostics, fileName, Codes.TooManyErrors);
        var groups = new List<GroupSpec>();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        var scripts = new Dictionary<string, string?>(StringComparer.Ordinal);
        var logical = new List<HbToken>();
        var continued = false;
        var lastLine = 0;
        foreach (var (number, line) in HbText.Lines(text, report, Codes))
        {
            lastLine = number;
            var content = HbText.StripComment(line).TrimEnd(' ', '\t', '\r', '\v', '\f');
            continued = content.EndsWith('\\');
            if (continued)
            {
                content = content[..^1];
            }
            logical.AddRange(HbText.Tokenize(content, number));
            if (!continued && logical.Count > 0)
            {
                Group(logical, nodes, scriptDirectories, scripts, keys, groups, report);
                logical = [];
            }
        }
        if (logical.Count > 0 && !report.Stopped)
        {
            report.Warning("HARES014", lastLine, 0, "the last line ends with '\\' but nothing follows; the group was read as it is",
                "remove the trailing backslash");
            Group(logical, nodes, scriptDirectories, scripts, keys, groups, report);
        }
        return groups;
    }

    private static void Group(List<HbToken> tokens, IReadOnlyList<NodeSpec> nodes, IReadOnlyList<string> scriptDirectories,
        Dictionary<string, string?> scripts, Dictionary<string, int> keys, List<GroupSpec> groups, HbFileReport report)
    {
        var nodeToken = tokens[0];
        var ok = true;
        var preferred = nodeToken.Text;
        if (!HbNames.IsHostName(nodeToken.Text))
        {
            report.Error("HARES007", nodeToken.Line, nodeToken.Column,
                $"'{HbNames.Quote(nodeToken.Text)}' is not a node name; a haresources line starts with the group's preferred node",
                "write 'NODE RESOURCE...', where NODE is a 'node' of ha.cf");
            ok = false;
        }
        else if (nodes.Count > 0)
        {
            // ResourceManager lowercases the node name: compare without case, keep ha.cf's spelling.
            var match = nodes.FirstOrDefault(n => string.Equals(n.Name, nodeToken.Text, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                var s = HbText.DidYouMean(nodeToken.Text, nodes.Select(n => n.Name));
                report.Error("HARES006", nodeToken.Line, nodeToken.Column,
                    $"preferred node '{nodeToken.Text}' is not a node of ha.cf (nodes: {string.Join(", ", nodes.Select(n => n.Name))})",
                    s is null ? "the first word must be one of the 'node' names of ha.cf" : $"did you mean '{s}'?");
                ok = false;
            }
            else
            {
                preferred = match.Name;
            }
        }
        if (tokens.Count < 2)
        {
            // Heartbeat checks only the node name of a line: a node without resources starts, and
            // gives nothing to run.
            if (ok)
            {
                report.Warning("HARES005", nodeToken.Line, nodeToken.Column + nodeToken.Text.Length,
                    $"the line for '{HbNames.Quote(nodeToken.Text)}' lists no resources: it makes no group (Heartbeat accepts it and runs nothing)",
                    "add the resources after the node name, for example 'node1 drbddisk::r0 Filesystem::/dev/drbd0::/data::ext4', or remove the line");
            }
            return;
        }
        var key = tokens[1];
        if (keys.TryGetValue(key.Text, out var firstLine))
        {
            report.Error("HARES010", key.Line, key.Column,
                $"a group starting with '{HbNames.Quote(key.Text)}' is already defined on line {firstLine}; the first resource names the group and must be unique",
                "merge the two lines into one group, or start one of them with a different resource");
            ok = false;
        }
        else
        {
            keys[key.Text] = key.Line;
        }
        var resources = new List<ResourceSpec>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in tokens.Skip(1))
        {
            if (Resource(token, scriptDirectories, scripts, report) is { } resource)
            {
                var n = counts[resource.Agent] = counts.GetValueOrDefault(resource.Agent) + 1;
                resources.Add(n == 1 ? resource : resource with { Id = $"{resource.Agent}-{n}" });
            }
            else
            {
                ok = false;
            }
        }
        if (ok)
        {
            groups.Add(new GroupSpec(key.Text, preferred, resources));
        }
    }

    private static ResourceSpec? Resource(HbToken token, IReadOnlyList<string> scriptDirectories, Dictionary<string, string?> scripts, HbFileReport report)
    {
        var text = token.Text;
        if (!text.Contains("::", StringComparison.Ordinal) && char.IsAsciiDigit(text[0]))
        {
            // A bare address is IPaddr's shorthand (ResourceManager matches [0-9]*.[0-9]*.[0-9]*.[0-9]*).
            return IpResource("IPaddr", text, token, [text], report);
        }
        var pieces = text.Split("::");
        var agent = pieces[0];
        if (agent.Length == 0)
        {
            report.Error("HARES008", token.Line, token.Column, $"'{HbNames.Quote(text)}' has no agent name before '::'",
                "write AGENT::ARG::ARG, for example Filesystem::/dev/drbd0::/data::ext4");
            return null;
        }
        if (agent is "." or ".." || !agent.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '+' or '@'))
        {
            report.Error("HARES008", token.Line, token.Column,
                $"'{HbNames.Quote(agent)}' is not an agent name: expected a script name (letters, digits, '_', '-', '.'), not a path",
                "put the script in /etc/ha.d/resource.d or /etc/init.d and name it without its directory");
            return null;
        }
        var args = new List<string>();
        for (var i = 1; i < pieces.Length; i++)
        {
            if (pieces[i].Length == 0)
            {
                report.Warning("HARES012", token.Line, token.Column, $"'{HbNames.Quote(text)}' has an empty argument (a doubled or trailing '::'); it is dropped, as Heartbeat does",
                    "remove the extra '::'");
                continue;
            }
            args.Add(pieces[i]);
        }
        if (agent is "IPaddr" or "IPaddr2")
        {
            if (args.Count == 0)
            {
                report.Error("HARES009", token.Line, token.Column, $"{agent} needs an address: expected {agent}::ip[/cidr[/iface[/broadcast]]]",
                    $"write for example {agent}::192.168.0.10/24/eth0");
                return null;
            }
            return IpResource(agent, args[0], token, args, report);
        }
        if (BuiltInAgents.Contains(agent))
        {
            var need = agent switch { "Filesystem" => 2, "MailTo" => 1, _ => 0 };
            if (args.Count < need)
            {
                report.Error("HARES013", token.Line, token.Column,
                    agent == "Filesystem"
                        ? "Filesystem needs a device and a mount point: expected Filesystem::DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]]"
                        : "MailTo needs an address: expected MailTo::ADDRESS[::SUBJECT]",
                    agent == "Filesystem" ? "write for example Filesystem::/dev/drbd0::/vz::ext3" : "write for example MailTo::root@example.com");
                return null;
            }
            return new ResourceSpec(agent, agent) { Class = AgentClass.BuiltIn, Arguments = args };
        }
        if (!scripts.TryGetValue(agent, out var path))
        {
            path = FindScript(agent, scriptDirectories, out var notExecutable);
            scripts[agent] = path;
            if (path is null)
            {
                var where = scriptDirectories.Count == 0 ? "no directory was searched" : "searched " + string.Join(", then ", scriptDirectories);
                var extra = notExecutable is null ? "" : $"; {notExecutable} exists but is not executable";
                report.Warning("HARES011", token.Line, token.Column,
                    $"resource script '{agent}' was not found on this machine ({where}{extra}); the group will fail to start here",
                    $"install the script as /etc/ha.d/resource.d/{agent} or /etc/init.d/{agent} (executable) on every node that may run the group; haresources itself must stay identical on all nodes");
            }
        }
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (path is not null)
        {
            parameters["path"] = path;
        }
        return new ResourceSpec(agent, agent) { Class = AgentClass.Heartbeat, Arguments = args, Parameters = parameters };
    }

    private static ResourceSpec? IpResource(string agent, string spec, HbToken token, List<string> args, HbFileReport report)
    {
        if (!IpAddrSpec.TryParse(spec, out var parameters, out var error))
        {
            // Heartbeat starts with such a line and fails the resource only when it starts it; so
            // does Tandem (the IPaddr agent refuses to start without an address it can read).
            report.Warning("HARES009", token.Line, token.Column, $"{agent}: {error}; the group will fail to start (Heartbeat, too, finds this only when it starts the resource)",
                "write ip[/cidr[/iface[/broadcast]]], for example 192.168.0.10/24/eth0");
            return new ResourceSpec(agent, agent) { Class = AgentClass.BuiltIn, Arguments = args };
        }
        return new ResourceSpec(agent, agent) { Class = AgentClass.BuiltIn, Arguments = args, Parameters = parameters };
    }

    private static string? FindScript(string name, IReadOnlyList<string> directories, out string? notExecutable)
    {
        notExecutable = null;
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, name);
            try
            {
                if (!File.Exists(candidate))
                {
                    continue;
                }
                if (OperatingSystem.IsWindows()
                    || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                {
                    return candidate;
                }
                notExecutable ??= candidate;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Unreadable directories are skipped, as the shell's test -x would.
            }
        }
        return null;
    }
}
