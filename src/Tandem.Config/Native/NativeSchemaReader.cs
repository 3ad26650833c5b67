using System.Net;
using Tandem.Core.Model;

namespace Tandem.Config.Native;

/// <summary>
/// Maps the TOML tree of a native file onto <see cref="ClusterSpec"/>, table by table. Every check that
/// needs a location in the file lives here; cross-part checks without one are the
/// <see cref="ClusterValidator"/>'s.
/// </summary>
internal sealed partial class NativeSchemaReader(NativeContext ctx, string? modeCheckPath)
{
    private static readonly string[] s_rootTables =
        ["cluster", "timing", "node", "link", "auth", "replicated", "group", "fencing", "notification", "ping", "logging", "respawn"];

    private readonly List<string> _sources = [ctx.File];
    private readonly List<NodeSpec> _nodes = [];
    private readonly HashSet<string> _nodeNames = new(StringComparer.OrdinalIgnoreCase);
    private TomlLocation? _firstInlineSecret;

    public ClusterSpec Read(string text)
    {
        var root = TomlTreeBuilder.Build(text, (where, message) => ctx.Error(NativeCodes.Syntax, where, message));
        if (root is null)
        {
            return new ClusterSpec { Sources = [ctx.File] };
        }
        var doc = new TableReader(ctx, root, "the file");

        // Nodes first: every other table may refer to them, wherever it is written.
        var cluster = doc.SubTable("cluster", "[cluster]");
        var timingTable = doc.SubTable("timing", "[timing]");
        ReadNodes(doc.TableArray("node", "[[node]]"));
        var spec = new ClusterSpec { Nodes = _nodes };

        if (cluster is not null)
        {
            spec = spec with
            {
                Name = cluster.String("name") ?? spec.Name,
                AutoFailback = cluster.Choice("auto_failback", s_failback) ?? spec.AutoFailback,
            };
            cluster.Finish();
        }
        spec = spec with
        {
            Timing = ReadTiming(timingTable),
            Links = ReadLinks(doc.TableArray("link", "[[link]]")),
            Auth = doc.SubTable("auth", "[auth]") is { } auth ? ReadAuth(auth) : null,
            Replicated = ReadReplicated(doc.TableArray("replicated", "[[replicated]]")),
            Groups = ReadGroups(doc.TableArray("group", "[[group]]")),
            Fencing = doc.SubTable("fencing", "[fencing]") is { } fencing ? ReadFencing(fencing) : new FencingSpec(),
            Notification = doc.SubTable("notification", "[notification]") is { } n ? ReadNotification(n) : new NotificationSpec(),
            Ping = ReadPing(doc.TableArray("ping", "[[ping]]")),
            Logging = doc.SubTable("logging", "[logging]") is { } logging ? ReadLogging(logging) : new LoggingSpec(),
            Respawn = ReadRespawn(doc.TableArray("respawn", "[[respawn]]")),
        };
        FinishRoot(doc);

        if (_nodes.Count == 0 && !HasNodeTable(root))
        {
            ctx.Error(NativeCodes.Incomplete, TomlLocation.None, "no node is declared",
                "add a [[node]] table with the name of each member (uname -n)");
        }
        else if (_nodes.Count > 1 && spec.Links.Count == 0 && root.Find("link") is null)
        {
            ctx.Error(NativeCodes.Incomplete, TomlLocation.None, "the nodes have no link to exchange heartbeats over",
                "add a [[link]] table (kind = \"ucast\", \"bcast\", \"mcast\" or \"serial\")");
        }

        CheckConfigFileMode();
        return spec with { Sources = _sources };
    }

    private static bool HasNodeTable(TomlTableNode root) => root.Find("node") is not null;

    private void FinishRoot(TableReader doc)
    {
        foreach (var (key, where, value) in doc.Table.Entries)
        {
            if (Array.IndexOf(s_rootTables, key) >= 0)
            {
                continue;
            }
            var suggestion = Suggest.Closest(key, s_rootTables);
            var hint = suggestion is not null ? $"did you mean [{suggestion}]?"
                : value is TomlTableNode or TomlTableArrayNode ? $"the tables are: {string.Join(", ", s_rootTables)}"
                : "keys belong in a table; the cluster name, for example, is 'name' under [cluster]";
            ctx.Error(NativeCodes.UnknownKey, where,
                $"unknown {(value is TomlTableNode or TomlTableArrayNode ? "table" : "top-level key")} '{TableReader.Clip(key)}'", hint);
        }
    }

    private static readonly Dictionary<string, FailbackMode> s_failback = new(StringComparer.Ordinal)
    {
        ["on"] = FailbackMode.On,
        ["off"] = FailbackMode.Off,
        ["legacy"] = FailbackMode.Legacy,
    };

    private TimingSpec ReadTiming(TableReader? t)
    {
        if (t is null)
        {
            return new TimingSpec();
        }
        var keepalive = t.Duration("keepalive", allowZero: false);
        var deadtime = t.Duration("deadtime", allowZero: false);
        var warntime = t.Duration("warntime", allowZero: false);
        var initdead = t.Duration("initdead", allowZero: false);
        var deadping = t.Duration("deadping", allowZero: false);
        t.Finish();

        var k = keepalive ?? TimeSpan.FromSeconds(1);
        var d = deadtime ?? TimeSpan.FromSeconds(30);
        var timing = new TimingSpec
        {
            Keepalive = k,
            Deadtime = d,
            Warntime = warntime ?? TimingSpec.DefaultWarntime(d),
            Initdead = initdead ?? TimingSpec.DefaultInitdead(d),
            Deadping = deadping ?? d,
        };

        // Heartbeat's rules (config.c), in the same words where it has them.
        if (d <= 2 * k)
        {
            ctx.Error(NativeCodes.Timing, t.KeyLocation(deadtime is null ? "keepalive" : "deadtime"),
                $"deadtime ({NativeUnits.FormatDuration(d)}) must be more than twice the keepalive ({NativeUnits.FormatDuration(k)})",
                "a node is declared dead only after several heartbeats are missed; raise deadtime or lower keepalive");
        }
        if (timing.Initdead < d)
        {
            ctx.Error(NativeCodes.Timing, t.KeyLocation("initdead"),
                $"initdead ({NativeUnits.FormatDuration(timing.Initdead)}) must be at least the deadtime ({NativeUnits.FormatDuration(d)})");
        }
        if (deadping is { } dp && dp <= 2 * k)
        {
            ctx.Error(NativeCodes.Timing, t.KeyLocation("deadping"),
                $"deadping ({NativeUnits.FormatDuration(dp)}) must be more than twice the keepalive ({NativeUnits.FormatDuration(k)})");
        }
        if (warntime is { } w && w >= d)
        {
            ctx.Warning(NativeCodes.TimingWarning, t.KeyLocation("warntime"),
                $"warntime ({NativeUnits.FormatDuration(w)}) is not below the deadtime ({NativeUnits.FormatDuration(d)}): no late-heartbeat warning will come before a node is declared dead");
        }
        if (warntime is { } w2 && w2 < k)
        {
            ctx.Warning(NativeCodes.TimingWarning, t.KeyLocation("warntime"),
                $"warntime ({NativeUnits.FormatDuration(w2)}) is below the keepalive ({NativeUnits.FormatDuration(k)}): every heartbeat will be reported late");
        }
        return timing;
    }

    private void ReadNodes(List<TableReader> tables)
    {
        var seen = new Dictionary<string, TomlLocation>(StringComparer.OrdinalIgnoreCase);
        foreach (var t in tables)
        {
            var name = t.String("name", required: true);
            var nbd = t.String("nbd_listen");
            var tls = ReadNbdTls(t, nbd is not null);
            var insecure = t.Bool("nbd_insecure") ?? false;
            if (nbd is not null && tls is null && !insecure && !t.Has("nbd_tls_certificate"))
            {
                ctx.Error(NativeCodes.InsecureNbd, t.KeyLocation("nbd_listen"),
                    $"nbd_listen \"{TableReader.Clip(nbd)}\" would serve NBD on TCP without TLS: anyone who can connect could read and write the volume",
                    "set nbd_tls_certificate (and nbd_tls_key) for TLS, or nbd_insecure = true to accept plain NBD on a trusted network");
            }
            if (insecure && tls is not null)
            {
                ctx.Error(NativeCodes.InsecureNbd, t.KeyLocation("nbd_insecure"),
                    "nbd_insecure = true and nbd_tls_certificate contradict each other", "TLS is required when configured; drop nbd_insecure");
            }
            t.Finish();
            if (name is null)
            {
                continue;
            }
            if (name.Any(char.IsWhiteSpace))
            {
                ctx.Error(NativeCodes.BadValue, t.Table.Find("name")!.Location, $"the node name \"{TableReader.Clip(name)}\" contains white space",
                    "node names equal 'uname -n' and have no spaces");
                continue;
            }
            if (seen.TryGetValue(name, out var first))
            {
                ctx.Error(NativeCodes.Duplicate, t.KeyLocation("name"),
                    $"the node '{TableReader.Clip(name)}' is declared twice (first at line {first.Line}); node names compare without case");
                continue;
            }
            seen[name] = t.KeyLocation("name");
            if (nbd is not null && !IsEndpoint(nbd))
            {
                ctx.Error(NativeCodes.BadValue, t.Table.Find("nbd_listen")!.Location,
                    $"nbd_listen must be IP:PORT, not \"{TableReader.Clip(nbd)}\"", "for example \"127.0.0.1:10809\" or \"[::1]:10809\"");
                nbd = null;
            }
            _nodes.Add(new NodeSpec(name) { NbdListen = nbd, NbdTls = tls, NbdInsecure = insecure });
            _nodeNames.Add(name);
        }
    }

    private static readonly Dictionary<string, NbdClientCertificates> s_verifyClient = new(StringComparer.Ordinal)
    {
        ["none"] = NbdClientCertificates.None,
        ["optional"] = NbdClientCertificates.Optional,
        ["required"] = NbdClientCertificates.Required,
    };

    /// <summary>The nbd_tls_* keys of a node (issue #18 item 4), or null without nbd_tls_certificate.</summary>
    private NbdTlsSpec? ReadNbdTls(TableReader t, bool listens)
    {
        var certificate = t.String("nbd_tls_certificate");
        var key = t.String("nbd_tls_key");
        var clientCa = t.String("nbd_tls_client_ca");
        var verify = t.Choice("nbd_tls_verify_client", s_verifyClient);
        if (certificate is null)
        {
            foreach (var other in new[] { "nbd_tls_key", "nbd_tls_client_ca", "nbd_tls_verify_client" })
            {
                if (t.Has(other))
                {
                    ctx.Error(NativeCodes.InsecureNbd, t.KeyLocation(other), $"{other} needs nbd_tls_certificate", "name the server's PEM certificate in nbd_tls_certificate");
                }
            }
            return null;
        }
        if (!listens)
        {
            ctx.Warning(NativeCodes.InsecureNbd, t.KeyLocation("nbd_tls_certificate"),
                "nbd_tls_certificate without nbd_listen does nothing: TLS is for the TCP listener (the Unix socket is protected by its file mode)");
        }
        var mode = verify ?? (clientCa is null ? NbdClientCertificates.None : NbdClientCertificates.Required);
        if (mode != NbdClientCertificates.None && clientCa is null)
        {
            ctx.Error(NativeCodes.InsecureNbd, t.KeyLocation("nbd_tls_verify_client"),
                "nbd_tls_verify_client checks client certificates, but nbd_tls_client_ca names none to check them against",
                "set nbd_tls_client_ca to the PEM file of the CA (or the client certificates) to trust");
        }
        return new NbdTlsSpec(ResolveFile(certificate))
        {
            Key = key is null ? null : ResolveFile(key),
            ClientCa = clientCa is null ? null : ResolveFile(clientCa),
            VerifyClient = mode,
        };
    }

    /// <summary>A path relative to the configuration file's directory, made absolute.</summary>
    private string ResolveFile(string file) =>
        Path.IsPathRooted(file) ? file : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ctx.File)) ?? ".", file);

    /// <summary>Checks that <paramref name="name"/> is a declared node; reports at <paramref name="where"/> otherwise.</summary>
    private bool CheckNode(string name, TomlLocation where, string what)
    {
        if (_nodes.Count == 0 || _nodeNames.Contains(name))
        {
            return true;
        }
        // Bounded: a hostile file may declare thousands of nodes and refer to thousands more.
        var listed = string.Join(", ", _nodes.Take(10).Select(n => n.Name)) + (_nodes.Count > 10 ? ", ..." : "");
        var suggestion = _nodes.Count <= 1000 ? Suggest.Closest(name, _nodes.Select(n => n.Name)) : null;
        ctx.Error(NativeCodes.UnknownNode, where,
            $"{what} '{TableReader.Clip(name)}' is not a declared node (nodes: {listed})",
            suggestion is not null ? $"did you mean '{suggestion}'?" : "declare it with a [[node]] table");
        return false;
    }

    /// <summary>True for <c>IPv4:PORT</c> or <c>[IPv6]:PORT</c> with a port from 1 to 65535.</summary>
    internal static bool IsEndpoint(string text)
    {
        string address;
        string port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }
            address = text[1..close];
            port = text[(close + 2)..];
            if (!IPAddress.TryParse(address, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                return false;
            }
            address = text[..colon];
            port = text[(colon + 1)..];
            if (!IsIPv4(address))
            {
                return false;
            }
        }
        return port.Length is > 0 and <= 5 && port.All(char.IsAsciiDigit) && int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) is >= 1 and <= 65535;
    }

    /// <summary>A dotted-quad IPv4 address (IPAddress.TryParse alone also takes "1" or "1.2").</summary>
    internal static bool IsIPv4(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);
    }

    /// <summary>An IPv4 dotted quad or an IPv6 address (with an optional %scope).</summary>
    internal static bool IsAddress(string text) =>
        IsIPv4(text) || (text.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(text, out _));

    private void NoteInlineSecret(TomlLocation where) => _firstInlineSecret ??= where;

    private void CheckConfigFileMode()
    {
        if (modeCheckPath is null || _firstInlineSecret is not { } where || ctx.Options.SkipKeyFileModeCheck)
        {
            return;
        }
        CheckKeyFileMode(modeCheckPath, where);
    }

    /// <summary>Heartbeat's authkeys rule: a file holding secrets must not be readable by group or others.</summary>
    private void CheckKeyFileMode(string path, TomlLocation where)
    {
        if (ctx.Options.SkipKeyFileModeCheck || OperatingSystem.IsWindows())
        {
            return;
        }
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return; // the read itself reports an unreadable file
        }
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            ctx.Error(NativeCodes.KeyFileMode, where, $"Bad permissions on keyfile [{path}], 600 recommended.",
                $"the file holds secrets: chmod 600 {path}");
        }
    }
}
