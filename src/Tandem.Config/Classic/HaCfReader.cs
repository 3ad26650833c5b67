using System.Net;
using System.Net.Sockets;
using Tandem.Core.Model;

namespace Tandem.Config.Classic;

/// <summary>
/// Reads Heartbeat's <c>ha.cf</c> with Heartbeat 3.0.6's rules: one directive per line, <c>#</c>
/// comments, option lists (<c>node a b</c> adds two nodes), and order-sensitive <c>udpport</c> and
/// <c>baud</c> that apply to the media lines after them. Codes <c>HACF001</c>..; see
/// docs/configuration-classic-heartbeat.md.
/// </summary>
public static class HaCfReader
{
    internal static readonly HbTextCodes Codes = new("HACF001", "HACF002", "HACF003", "HACF041");

    private const int DefaultUdpPort = 694;
    private const int DefaultBaud = 19200;

    /// <summary>Reads an <c>ha.cf</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="isLocalAddress">Tells whether an address is this machine's (its <c>ucast</c> lines are ignored).</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <returns>The document, or null when the file cannot be read.</returns>
    /// <param name="host">Facts about this machine that Heartbeat checks at start; null to check none.</param>
    /// <param name="startChecksAreErrors">Whether a failed start check is an error (the daemon) or a warning (config check).</param>
    public static HaCfDocument? Read(string path, Func<IPAddress, bool> isLocalAddress, DiagnosticBag diagnostics,
        HostFacts? host = null, bool startChecksAreErrors = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var text = HbText.TryRead(path, Codes, diagnostics, "Heartbeat's ha.cf");
        return text is null ? null : Parse(text, path, isLocalAddress, diagnostics, host, startChecksAreErrors);
    }

    /// <summary>Parses the text of an <c>ha.cf</c>.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="fileName">The name used in diagnostics.</param>
    /// <param name="isLocalAddress">Tells whether an address is this machine's (its <c>ucast</c> lines are ignored).</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <param name="host">Facts about this machine that Heartbeat checks at start; null to check none.</param>
    /// <param name="startChecksAreErrors">Whether a failed start check is an error (the daemon) or a warning (config check).</param>
    /// <returns>The document; partial when there were errors.</returns>
    public static HaCfDocument Parse(string text, string fileName, Func<IPAddress, bool> isLocalAddress, DiagnosticBag diagnostics,
        HostFacts? host = null, bool startChecksAreErrors = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(isLocalAddress);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var parser = new Parser(new HbFileReport(diagnostics, fileName, Codes.TooManyErrors), isLocalAddress, host, startChecksAreErrors);
        foreach (var (number, line) in HbText.Lines(text, parser.Report, Codes))
        {
            var tokens = HaCfTokens.Split(HbText.StripComment(line), number);
            if (tokens.Count > 0)
            {
                parser.Directive(tokens);
            }
        }
        return parser.Finish();
    }

    /// <summary>The state of one parse: what has been read so far, in file order.</summary>
    private sealed class Parser
    {
        private readonly Func<IPAddress, bool> _isLocalAddress;
        private readonly Dictionary<string, int> _singleSeen = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (TimeSpan Value, HbToken At)> _times = new(StringComparer.Ordinal);
        private readonly List<NodeSpec> _nodes = [];
        private readonly List<PendingLink> _links = [];
        private readonly List<PingSpec> _ping = [];
        private readonly List<FenceDeviceSpec> _fencing = [];
        private readonly List<RespawnSpec> _respawn = [];
        private readonly List<string> _ignoredLocal = [];
        // Lookups by key keep a file of a million repeated lines linear (fuzzers write such files).
        private readonly HashSet<string> _nodeNames = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<(string Kind, string Interface, int Port), PendingLink> _linkIndex = [];
        private readonly HashSet<(string Kind, string Interface, int Port, string Address)> _endpoints = [];
        private readonly HashSet<string> _pingGroups = new(StringComparer.Ordinal);
        private readonly HashSet<string> _fenceNames = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _fenceCounts = new(StringComparer.Ordinal);
        private int _udpPort = DefaultUdpPort;
        private int _baud = DefaultBaud;
        private string _name = "linux-ha";
        private string? _facility;
        private string? _logFile;
        private string? _debugFile;
        private HbToken _logFileAt;
        private HbToken _debugFileAt;
        private HbToken _facilityAt;
        private FailbackMode? _autoFailback;
        private HbToken _failbackAt;
        private string _autojoin = "none";
        private HbToken _autojoinAt;
        private (HbToken At, bool Used) _udpPortAt;
        private (HbToken At, bool Used) _baudAt;
        private readonly List<(string Device, HbToken From)> _stonithHosts = [];

        private readonly HostFacts? _host;
        private readonly bool _startChecksAreErrors;
        private (bool Set, bool On, HbToken At) _useLogd;

        public Parser(HbFileReport report, Func<IPAddress, bool> isLocalAddress, HostFacts? host, bool startChecksAreErrors)
        {
            Report = report;
            _isLocalAddress = isLocalAddress;
            _host = host;
            _startChecksAreErrors = startChecksAreErrors;
        }

        /// <summary>
        /// A fact of this machine that Heartbeat checks when it starts: an error when the daemon
        /// starts, a warning in config check (which may run on another machine).
        /// </summary>
        private void StartCheck(string code, HbToken at, string message, string hint)
        {
            if (_startChecksAreErrors)
            {
                Report.Error(code, at.Line, at.Column, message, hint);
            }
            else
            {
                Report.Warning(code, at.Line, at.Column, message + " (Heartbeat refuses to start; so does the Tandem daemon)", hint);
            }
        }

        public HbFileReport Report { get; }

        public void Directive(List<HbToken> tokens)
        {
            var d = tokens[0];
            var args = tokens.GetRange(1, tokens.Count - 1);
            if (d.Text == "udp")
            {
                // Heartbeat 3.0.6 still reads the directive of its first releases as bcast.
                Report.Warning("HACF045", d.Line, d.Column, "WARNING: directive 'udp' replaced by 'bcast'",
                    "write 'bcast' instead of 'udp'");
                d = d with { Text = "bcast" };
            }
            if (args.Count == 0 && HaCfDirectives.IsKnown(d.Text) && !HaCfDirectives.NeedsValue(d.Text))
            {
                // Heartbeat applies an option directive once per value: with none, the line does nothing.
                Report.Warning("HACF046", d.Line, d.Column + d.Text.Length, $"'{d.Text}' has no value: the line is skipped, as Heartbeat skips it",
                    $"write '{d.Text} VALUE', or remove the line");
                return;
            }
            if (!HaCfDirectives.IsKnown(d.Text))
            {
                var suggestion = HbText.DidYouMean(d.Text, HaCfDirectives.All);
                var caseOnly = suggestion is not null && string.Equals(suggestion, d.Text, StringComparison.OrdinalIgnoreCase);
                Report.Error("HACF004", d.Line, d.Column,
                    $"Illegal directive [{HbNames.Quote(d.Text)}]" + (caseOnly ? " (directive names are case-sensitive)" : ""),
                    suggestion is null
                        ? "see docs/configuration-classic-heartbeat.md for the directives ha.cf accepts"
                        : $"did you mean '{suggestion}'?");
                return;
            }
            if (d.Text == "use_logd" && args.Count > 0 && HbNames.TryParseBool(args[^1].Text, out var logd))
            {
                _useLogd = (true, logd, args[^1]);
            }
            if (d.Text == "compression" && _host is not null)
            {
                foreach (var module in args.Where(a => !_host.CompressionModules.Contains(a.Text)))
                {
                    StartCheck("HACF051", module, $"Compression module({HbNames.Quote(module.Text)}) not found",
                        $"Heartbeat 3.0.6 has {string.Join(" and ", _host.CompressionModules.Order(StringComparer.Ordinal))}; Tandem compresses nothing, so remove the line");
                }
            }
            if (HaCfDirectives.NotActedOn.TryGetValue(d.Text, out var info))
            {
                NotActedOn(d, args, info.Why, info.Kind);
                return;
            }
            switch (d.Text)
            {
                case "keepalive" or "deadtime" or "warntime" or "initdead" or "deadping":
                    if (Single(d, args) is { } t && Time(t) is { } value)
                    {
                        _times[d.Text] = (value, t);
                    }
                    break;
                case "udpport":
                    if (Single(d, args) is { } port)
                    {
                        if (HbNames.TryParseInt(port.Text, 1, 65535, out var p))
                        {
                            _udpPort = p;
                            _udpPortAt = (port, false);
                        }
                        else
                        {
                            Report.Error("HACF014", port.Line, port.Column,
                                $"udpport '{HbNames.Quote(port.Text)}' is not a UDP port: expected a number from 1 to 65535",
                                "Heartbeat's port is 694 (IANA ha-cluster)");
                        }
                    }
                    break;
                case "baud":
                    if (Single(d, args) is { } baud)
                    {
                        if (HbNames.TryParseInt(baud.Text, 1, int.MaxValue, out var b) && HaCfDirectives.BaudRates.Contains(b))
                        {
                            _baud = b;
                            _baudAt = (baud, false);
                        }
                        else
                        {
                            Report.Error("HACF015", baud.Line, baud.Column,
                                $"baud '{HbNames.Quote(baud.Text)}' is not a serial speed: expected one of {string.Join(", ", HaCfDirectives.BaudRates.Order())}",
                                "19200 is Heartbeat's default");
                        }
                    }
                    break;
                case "ucast":
                    Ucast(d, args, ipv6: false);
                    break;
                case "ucast6":
                    Ucast(d, args, ipv6: true);
                    break;
                case "bcast":
                    Bcast(d, args);
                    break;
                case "mcast":
                    Mcast(d, args, ipv6: false);
                    break;
                case "mcast6":
                    Mcast(d, args, ipv6: true);
                    break;
                case "serial":
                    Serial(d, args);
                    break;
                case "node":
                    Node(d, args);
                    break;
                case "autojoin":
                    if (Single(d, args) is { } aj)
                    {
                        if (aj.Text is "none" or "other" or "any")
                        {
                            _autojoin = aj.Text;
                            _autojoinAt = aj;
                        }
                        else
                        {
                            Report.Error("HACF030", aj.Line, aj.Column,
                                $"autojoin '{HbNames.Quote(aj.Text)}' is not a mode: expected none, other or any",
                                "Tandem's members are the node lines; write 'autojoin none' or remove the line");
                        }
                    }
                    break;
                case "auto_failback":
                    if (Single(d, args) is { } af)
                    {
                        if (string.Equals(af.Text, "legacy", StringComparison.OrdinalIgnoreCase))
                        {
                            _autoFailback = FailbackMode.Legacy;
                        }
                        else if (HbNames.TryParseBool(af.Text, out var on))
                        {
                            _autoFailback = on ? FailbackMode.On : FailbackMode.Off;
                        }
                        else
                        {
                            Report.Error("HACF023", af.Line, af.Column,
                                $"auto_failback '{HbNames.Quote(af.Text)}' is not a mode: expected on, off or legacy",
                                "'on' moves groups back to their preferred node when it returns, 'off' leaves them where they are");
                            break;
                        }
                        _failbackAt = af;
                    }
                    break;
                case "nice_failback":
                    if (Single(d, args) is { } nf && Bool(nf) is not null)
                    {
                        NiceFailback(d, nf);
                    }
                    break;
                case "ping" or "ping6":
                    Ping(d, args);
                    break;
                case "ping_group":
                    PingGroup(d, args);
                    break;
                case "respawn":
                    Respawn(d, args);
                    break;
                case "stonith":
                    Stonith(d, args);
                    break;
                case "stonith_host":
                    StonithHost(d, args);
                    break;
                case "crm" or "pacemaker":
                    if (Single(d, args) is { } crm)
                    {
                        if (string.Equals(crm.Text, "respawn", StringComparison.OrdinalIgnoreCase)
                            || (HbNames.TryParseBool(crm.Text, out var crmOn) && crmOn))
                        {
                            Report.Error("HACF032", crm.Line, crm.Column,
                                $"'{d.Text} {HbNames.Quote(crm.Text)}' asks for Pacemaker's resource manager; Tandem runs the haresources groups itself and does not run Pacemaker",
                                $"remove the line (or write '{d.Text} off') and describe the resources in haresources");
                        }
                        else if (!HbNames.TryParseBool(crm.Text, out _))
                        {
                            BadBool(crm);
                        }
                    }
                    break;
                case "logfacility":
                    if (Single(d, args) is { } fac)
                    {
                        if (HaCfDirectives.Facilities.Contains(fac.Text))
                        {
                            _facility = fac.Text == "none" ? null : fac.Text;
                            _facilityAt = fac;
                        }
                        else
                        {
                            var s = HbText.DidYouMean(fac.Text, HaCfDirectives.Facilities);
                            Report.Error("HACF034", fac.Line, fac.Column,
                                $"logfacility '{HbNames.Quote(fac.Text)}' is not a syslog facility: expected one of {string.Join(", ", HaCfDirectives.Facilities)}",
                                s is null ? "'daemon' is the usual choice" : $"did you mean '{s}'?");
                        }
                    }
                    break;
                case "logfile":
                    if (Single(d, args) is { } lf)
                    {
                        _logFile = lf.Text;
                        _logFileAt = lf;
                    }
                    break;
                case "debugfile":
                    if (Single(d, args) is { } df)
                    {
                        _debugFile = df.Text;
                        _debugFileAt = df;
                    }
                    break;
                case "cluster":
                    if (Single(d, args) is { } cn)
                    {
                        _name = cn.Text;
                    }
                    break;
                default:
                    // Unreachable while ActedOn and this switch agree; say so rather than drop the line.
                    Report.Info("HACF005", d.Line, d.Column, $"accepted, not acted on: {d.Text}");
                    break;
            }
        }

        public HaCfDocument Finish()
        {
            var timing = Timing();
            OrderWarnings();
            if (_nodes.Count == 0)
            {
                Report.Error("HACF022", 0, 0, "no 'node' line: the cluster has no members",
                    "add one line per node, 'node NAME', where NAME is what 'uname -n' prints on that node");
            }
            var links = BuildLinks();
            if (links.Count == 0)
            {
                var why = _ignoredLocal.Count > 0
                    ? $" (the ucast lines to {string.Join(", ", _ignoredLocal)} were ignored because they name this machine)"
                    : "";
                Report.Error("HACF021", 0, 0, "no communication medium: heartbeats would go nowhere" + why,
                    "add at least one of 'ucast DEV PEER-IP', 'bcast DEV', 'mcast DEV GROUP PORT TTL LOOP' or 'serial DEV'; two independent links are better");
            }
            var fencing = new FencingSpec { Devices = _fencing, Disabled = _fencing.Count == 0 };
            if (_fencing.Count == 0)
            {
                Report.Warning("HACF028", 0, 0,
                    "No STONITH device configured. Shared disks are not protected.",
                    "a node that is declared dead is taken over without being fenced; if it is only cut off, both nodes may write the same data. Add a 'stonith' or 'stonith_host' line (or fencing in tandem.toml)");
            }
            var failback = _autoFailback ?? FailbackMode.Legacy;
            LogDestination();
            var spec = new ClusterSpec
            {
                Name = _name,
                Nodes = _nodes,
                Timing = timing,
                Links = links,
                Fencing = fencing,
                Ping = _ping,
                AutoFailback = failback,
                Logging = new LoggingSpec { Facility = _facility, LogFile = _logFile, DebugFile = _debugFile },
                Respawn = _respawn,
                Sources = [Report.File],
            };
            return new HaCfDocument(spec)
            {
                Autojoin = _autojoin,
                AutojoinAt = (_autojoinAt.Line, _autojoinAt.Column),
                FailbackAt = (_failbackAt.Line, _failbackAt.Column),
            };
        }

        private void OrderWarnings()
        {
            // udpport and baud apply only to the media lines after them; one placed after its
            // media is a classic mistake that silently leaves the default in force.
            if (_udpPortAt.At.Line > 0 && !_udpPortAt.Used && _links.Exists(l => l.Kind is "ucast" or "ucast6" or "bcast"))
            {
                Report.Warning("HACF043", _udpPortAt.At.Line, _udpPortAt.At.Column,
                    $"udpport {_udpPortAt.At.Text} applies to no medium: it comes after every ucast/bcast line, which keep port {_links.First(l => l.Kind is "ucast" or "ucast6" or "bcast").Port}",
                    "move the udpport line above the ucast and bcast lines it is meant for");
            }
            if (_baudAt.At.Line > 0 && !_baudAt.Used && _links.Exists(l => l.Kind == "serial"))
            {
                Report.Warning("HACF043", _baudAt.At.Line, _baudAt.At.Column,
                    $"baud {_baudAt.At.Text} applies to no serial line: it comes after every serial line",
                    "move the baud line above the serial lines it is meant for");
            }
            foreach (var (device, from) in _stonithHosts)
            {
                if (_nodes.Count > 0 && !_nodeNames.Contains(from.Text))
                {
                    Report.Warning("HACF044", from.Line, from.Column,
                        $"stonith_host names '{from.Text}', which is not a node: device {device} will never be used",
                        "the first value of stonith_host is the node that runs the device (or * for any)");
                }
            }
        }

        private TimingSpec Timing()
        {
            (TimeSpan Value, HbToken At)? Get(string name) => _times.TryGetValue(name, out var v) ? v : null;
            var keepalive = Get("keepalive");
            var deadtime = Get("deadtime");
            var ka = keepalive?.Value ?? TimeSpan.FromSeconds(1);
            var dt = deadtime?.Value ?? TimeSpan.FromSeconds(30);
            if (keepalive is { } k && k.Value <= TimeSpan.Zero)
            {
                Report.Error("HACF038", k.At.Line, k.At.Column, "keepalive is zero: heartbeats would be sent without pause",
                    "Heartbeat's default is 1 (second); 1 or 2 is usual");
                ka = TimeSpan.FromSeconds(1);
            }
            if (dt <= 2 * ka)
            {
                var at = deadtime?.At ?? keepalive!.Value.At;
                Report.Error("HACF008", at.Line, at.Column,
                    $"deadtime ({HeartbeatTime.Format(dt)}) must be more than twice keepalive ({HeartbeatTime.Format(ka)}), or one late packet declares a node dead",
                    $"raise deadtime above {HeartbeatTime.Format(2 * ka)} (deadtime {HeartbeatTime.Format(ka * 15)} is a common choice) or lower keepalive");
            }
            var warntime = Get("warntime")?.Value ?? TimingSpec.DefaultWarntime(dt);
            if (Get("warntime") is { } w0 && w0.Value <= TimeSpan.Zero)
            {
                Report.Error("HACF054", w0.At.Line, w0.At.Column, $"Warn time [{w0.At.Text}] is invalid: it must be more than zero",
                    $"remove the line (the default is half of deadtime, {HeartbeatTime.Format(TimingSpec.DefaultWarntime(dt))}) or write a time between keepalive and deadtime");
                warntime = TimingSpec.DefaultWarntime(dt);
            }
            else if (Get("warntime") is { } w && w.Value >= dt)
            {
                Report.Warning("HACF012", w.At.Line, w.At.Column,
                    $"warntime ({HeartbeatTime.Format(w.Value)}) is not below deadtime ({HeartbeatTime.Format(dt)}): 'late heartbeat' warnings will never be given",
                    $"set warntime between keepalive and deadtime, for example {HeartbeatTime.Format(TimingSpec.DefaultWarntime(dt))}");
            }
            var initdead = Get("initdead")?.Value ?? TimingSpec.DefaultInitdead(dt);
            if (Get("initdead") is { } i)
            {
                if (i.Value < dt)
                {
                    Report.Error("HACF009", i.At.Line, i.At.Column,
                        $"initdead ({HeartbeatTime.Format(i.Value)}) is less than deadtime ({HeartbeatTime.Format(dt)}); it is the deadtime used while nodes boot and must be at least as long",
                        $"set initdead to at least {HeartbeatTime.Format(dt)}; twice deadtime is usual");
                }
                else if (i.Value < TimeSpan.FromSeconds(10))
                {
                    Report.Warning("HACF010", i.At.Line, i.At.Column,
                        $"initdead ({HeartbeatTime.Format(i.Value)}) is under 10 seconds; it allows for slow network startup at boot and should be >= deadtime and >= 10 seconds",
                        "set initdead to 10 or more");
                }
            }
            var deadping = Get("deadping")?.Value ?? dt;
            if (Get("deadping") is { } dp && dp.Value <= 2 * ka)
            {
                Report.Error("HACF011", dp.At.Line, dp.At.Column,
                    $"deadping ({HeartbeatTime.Format(dp.Value)}) must be more than twice keepalive ({HeartbeatTime.Format(ka)})",
                    $"raise deadping above {HeartbeatTime.Format(2 * ka)}, or remove it to use deadtime");
            }
            return new TimingSpec { Keepalive = ka, Deadtime = dt, Warntime = warntime, Initdead = initdead, Deadping = deadping };
        }

        private List<LinkSpec> BuildLinks()
        {
            var links = new List<LinkSpec>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            string Unique(string name)
            {
                var candidate = name;
                for (var n = 2; !names.Add(candidate); n++)
                {
                    candidate = $"{name}-{n}";
                }
                return candidate;
            }
            foreach (var link in _links)
            {
                switch (link.Kind)
                {
                    case "ucast" or "ucast6":
                        if (link.Endpoints.Count > 0)
                        {
                            var baseName = $"{link.Kind}-{link.Interface}";
                            var name = names.Contains(baseName) ? $"{baseName}-{link.Port}" : baseName;
                            links.Add(new UnicastLinkSpec(Unique(name), link.Interface, link.Port, link.Endpoints));
                        }
                        break;
                    case "bcast":
                        links.Add(new BroadcastLinkSpec(Unique($"bcast-{link.Interface}"), link.Interface, link.Port));
                        break;
                    case "mcast" or "mcast6":
                        links.Add(new MulticastLinkSpec(Unique($"{link.Kind}-{link.Interface}"), link.Interface, link.Group!, link.Port, link.Ttl, link.Loop));
                        break;
                    default:
                        links.Add(new SerialLinkSpec(Unique($"serial-{Path.GetFileName(link.Interface)}"), link.Interface, link.Baud));
                        break;
                }
            }
            return links;
        }

        /// <summary>
        /// Heartbeat's obsolete nice_failback, read as Heartbeat 3.0.6 reads it: whatever its value,
        /// it means 'auto_failback legacy', unless an auto_failback on/off line came first, which it
        /// then turns to off. A later auto_failback line overrides it.
        /// </summary>
        private void NiceFailback(HbToken d, HbToken value)
        {
            var was = _autoFailback;
            Report.Warning("HACF053", d.Line, d.Column, "nice_failback flag is obsolete. Use auto_failback {on, off, legacy} instead.",
                "See documentation for details.");
            if (was is FailbackMode.On or FailbackMode.Off)
            {
                _autoFailback = FailbackMode.Off;
                Report.Warning("HACF053", value.Line, value.Column, $"'nice_failback {HbNames.Quote(value.Text)}' has been changed to 'auto_failback off'",
                    "remove the nice_failback line");
            }
            else
            {
                _autoFailback = FailbackMode.Legacy;
                Report.Warning("HACF053", value.Line, value.Column, $"nice_failback {HbNames.Quote(value.Text)} has been strictly interpreted as 'auto_failback legacy'",
                    "Consider converting to 'auto_failback on'. When you do, then you can use ipfail, and hb_standby");
            }
            _failbackAt = value;
        }

        /// <summary>Heartbeat refuses to start with use_logd off and nowhere to log.</summary>
        private void LogDestination()
        {
            if (_useLogd is { Set: true, On: false } && _logFile is null && _debugFile is null && _facility is null)
            {
                StartCheck("HACF052", _useLogd.At, "No log entry found in ha.cf and use_logd is set to off",
                    "add 'logfacility daemon' (syslog) or 'logfile /var/log/ha-log', or remove 'use_logd off'");
            }
        }

        private void NotActedOn(HbToken d, List<HbToken> args, string why, HaCfValueKind kind)
        {
            foreach (var a in args)
            {
                switch (kind)
                {
                    case HaCfValueKind.Bool:
                        if (!HbNames.TryParseBool(a.Text, out _))
                        {
                            BadBool(a);
                            return;
                        }
                        break;
                    case HaCfValueKind.Time:
                        if (Time(a) is null)
                        {
                            return;
                        }
                        break;
                    case HaCfValueKind.Integer:
                        if (!HbNames.TryParseInt(a.Text, 0, int.MaxValue, out _))
                        {
                            Report.Error("HACF037", a.Line, a.Column,
                                $"{d.Text} '{HbNames.Quote(a.Text)}' is not a whole number",
                                $"write a non-negative whole number, or remove the line (Tandem does not use {d.Text})");
                            return;
                        }
                        break;
                }
            }
            Report.Info("HACF005", d.Line, d.Column, $"accepted, not acted on: {d.Text} ({why})");
        }

        private HbToken? Single(HbToken d, List<HbToken> args)
        {
            if (args.Count == 0)
            {
                Report.Error("HACF006", d.Line, d.Column + d.Text.Length, $"'{d.Text}' needs a value",
                    $"write '{d.Text} VALUE' (see docs/configuration-classic-heartbeat.md)");
                return null;
            }
            if (args.Count > 1)
            {
                // Heartbeat applies an option directive once per value, so the last one counts.
                Report.Warning("HACF025", args[1].Line, args[1].Column,
                    $"'{d.Text}' takes one value, but {args.Count} were given: the last, '{HbNames.Quote(args[^1].Text)}', is used, as Heartbeat applies each in turn",
                    $"keep only the value you mean");
            }
            if (_singleSeen.TryGetValue(d.Text, out var first))
            {
                Report.Warning("HACF035", d.Line, d.Column, $"'{d.Text}' was already set on line {first}; this later value is used",
                    "remove one of the lines");
            }
            _singleSeen[d.Text] = d.Line;
            return args[^1];
        }

        private TimeSpan? Time(HbToken t)
        {
            if (HeartbeatTime.TryParse(t.Text, out var value, out var error))
            {
                return value;
            }
            Report.Error("HACF007", t.Line, t.Column, error!,
                "time values are seconds (2, 1.5) or carry ms/us (2000ms); see docs/configuration-classic-heartbeat.md");
            return null;
        }

        private bool? Bool(HbToken t)
        {
            if (HbNames.TryParseBool(t.Text, out var value))
            {
                return value;
            }
            BadBool(t);
            return null;
        }

        private void BadBool(HbToken t) =>
            Report.Error("HACF013", t.Line, t.Column,
                $"'{HbNames.Quote(t.Text)}' is not a boolean: expected on/off (also true/false, yes/no, y/n, 1/0)",
                "write on or off");

        private bool NeedArgs(HbToken d, List<HbToken> args, int min, string code, string usage)
        {
            if (args.Count >= min)
            {
                return true;
            }
            var col = args.Count > 0 ? args[^1].Column + args[^1].Text.Length : d.Column + d.Text.Length;
            Report.Error(code, d.Line, col, $"'{d.Text}' needs {(args.Count == 0 ? "arguments" : "more arguments")}: expected '{usage}'",
                $"write '{usage}'");
            return false;
        }

        private bool Interface(HbToken t, string code, string directive)
        {
            if (HbNames.IsInterfaceName(t.Text))
            {
                if (_host is not null && !_host.InterfaceExists(t.Text))
                {
                    StartCheck("HACF047", t, $"{directive}: interface [{HbNames.Quote(t.Text)}] does not exist",
                        "write the interface as 'ip link' shows it on this node, for example eth0");
                }
                return true;
            }
            Report.Error(code, t.Line, t.Column,
                $"'{HbNames.Quote(t.Text)}' is not a network interface name ({directive} expects the interface first)",
                "write the interface as 'ip link' shows it, for example eth0");
            return false;
        }

        private void Ucast(HbToken d, List<HbToken> args, bool ipv6)
        {
            var usage = $"{d.Text} DEV PEER-IP";
            if (!NeedArgs(d, args, 2, "HACF016", usage) || !Interface(args[0], "HACF016", d.Text))
            {
                return;
            }
            _udpPortAt.Used = true;
            foreach (var a in args.Skip(1))
            {
                IPAddress address;
                var ok = ipv6 ? HbNames.TryParseIPv6(a.Text, out address) : HbNames.TryParseIPv4(a.Text, out address);
                if (!ok)
                {
                    Report.Error("HACF016", a.Line, a.Column,
                        $"'{HbNames.Quote(a.Text)}' is not an {(ipv6 ? "IPv6" : "IPv4")} address; {d.Text} expects '{usage}'",
                        ipv6 ? "write the peer's IPv6 address, optionally with %scope" : "write the peer's address as four numbers, for example 10.0.0.2; host names are not accepted");
                    continue;
                }
                bool local;
                try
                {
                    local = _isLocalAddress(address);
                }
                catch (Exception e) when (e is SocketException or InvalidOperationException or NotSupportedException)
                {
                    local = false; // unknown interfaces: keep the entry (a heartbeat to ourselves is dropped)
                }
                if (local)
                {
                    _ignoredLocal.Add(a.Text);
                    Report.Info("HACF017", a.Line, a.Column,
                        $"{d.Text} to {a.Text} ignored: it is an address of this machine (so one ha.cf fits every node)");
                    continue;
                }
                var iface = args[0].Text;
                if (!_linkIndex.TryGetValue((d.Text, iface, _udpPort), out var group))
                {
                    group = new PendingLink(d.Text, iface) { Port = _udpPort };
                    _links.Add(group);
                    _linkIndex[(d.Text, iface, _udpPort)] = group;
                }
                if (!_endpoints.Add((d.Text, iface, _udpPort, address.ToString())))
                {
                    Report.Warning("HACF042", a.Line, a.Column, $"{d.Text} {iface} {a.Text} is listed twice; the repeat is ignored",
                        "remove the duplicate line");
                    continue;
                }
                // As written: an IPv6 %scope stays a name instead of becoming an index.
                group.Endpoints.Add(new LinkEndpoint(ipv6 ? a.Text : address.ToString()));
            }
        }

        private void Bcast(HbToken d, List<HbToken> args)
        {
            if (!NeedArgs(d, args, 1, "HACF019", "bcast DEV [DEV...]"))
            {
                return;
            }
            foreach (var a in args)
            {
                if (!Interface(a, "HACF019", "bcast"))
                {
                    continue;
                }
                var link = new PendingLink("bcast", a.Text) { Port = _udpPort };
                _udpPortAt.Used = true;
                if (!_linkIndex.TryAdd(("bcast", a.Text, _udpPort), link))
                {
                    Report.Warning("HACF042", a.Line, a.Column, $"bcast on {a.Text} is listed twice; the repeat is ignored",
                        "remove the duplicate");
                    continue;
                }
                _links.Add(link);
            }
        }

        private void Mcast(HbToken d, List<HbToken> args, bool ipv6)
        {
            var usage = $"{d.Text} DEV GROUP PORT {(ipv6 ? "HOPS" : "TTL")} LOOP";
            if (!NeedArgs(d, args, 5, "HACF018", usage))
            {
                return;
            }
            if (args.Count > 5)
            {
                // Heartbeat's mcast plugin reads five words and ignores the rest of the line.
                Report.Warning("HACF018", args[5].Line, args[5].Column, $"'{d.Text}' takes five values; the rest of the line is ignored, as Heartbeat ignores it",
                    "remove the extra values; one mcast line describes one group");
            }
            if (!Interface(args[0], "HACF018", d.Text))
            {
                return;
            }
            var g = args[1];
            IPAddress group;
            var isGroup = ipv6
                ? HbNames.TryParseIPv6(g.Text, out group) && group.IsIPv6Multicast
                : HbNames.TryParseIPv4(g.Text, out group) && (group.GetAddressBytes()[0] & 0xF0) == 0xE0;
            if (!isGroup)
            {
                Report.Error("HACF018", g.Line, g.Column,
                    $"'{HbNames.Quote(g.Text)}' is not an {(ipv6 ? "IPv6 multicast address (ff00::/8)" : "IPv4 multicast address (224.0.0.0 to 239.255.255.255)")}",
                    ipv6 ? "use a site-local group such as ff05::694" : "use an administratively scoped group in 239.192.0.0/14, for example 239.192.0.1");
                return;
            }
            if (!HbNames.TryParseInt(args[2].Text, 1, 65535, out var port))
            {
                Report.Error("HACF018", args[2].Line, args[2].Column,
                    $"mcast port '{HbNames.Quote(args[2].Text)}' is not a UDP port: expected 1 to 65535 (udpport does not apply to mcast)",
                    "694 is Heartbeat's port");
                return;
            }
            // Heartbeat 3.0.6's mcast plugin takes a TTL of 0 to 4 only (mcast6: a hop limit to 255).
            var maxTtl = ipv6 ? 255 : 4;
            if (!HbNames.TryParseInt(args[3].Text, ipv6 ? 1 : 0, maxTtl, out var ttl))
            {
                Report.Error("HACF018", args[3].Line, args[3].Column,
                    $"mcast [{HbNames.Quote(args[0].Text)}] bad {(ipv6 ? "hop limit" : "ttl")} [{HbNames.Quote(args[3].Text)}]: expected {(ipv6 ? "1" : "0")} to {maxTtl}",
                    "1 keeps heartbeats on the local network");
                return;
            }
            if (args[4].Text is not ("0" or "1"))
            {
                Report.Error("HACF018", args[4].Line, args[4].Column,
                    $"mcast loop '{HbNames.Quote(args[4].Text)}' must be 0 or 1",
                    "0 is usual: a node does not need its own heartbeats back");
                return;
            }
            _links.Add(new PendingLink(d.Text, args[0].Text) { Group = group.ToString(), Port = port, Ttl = ttl, Loop = args[4].Text == "1" });
        }

        private void Serial(HbToken d, List<HbToken> args)
        {
            if (!NeedArgs(d, args, 1, "HACF020", "serial DEV [DEV...]"))
            {
                return;
            }
            foreach (var a in args)
            {
                if (!a.Text.StartsWith('/') || a.Text.EndsWith('/') || a.Text.Length > 4096)
                {
                    Report.Error("HACF020", a.Line, a.Column,
                        $"'{HbNames.Quote(a.Text)}' is not a serial device path",
                        "write the device's full path, for example /dev/ttyS0");
                    continue;
                }
                if (_host is not null && !_host.DeviceExists(a.Text))
                {
                    StartCheck("HACF048", a, $"serial port [{HbNames.Quote(a.Text)}] does not exist",
                        "write the serial port of this node, for example /dev/ttyS0, or remove the line");
                }
                _links.Add(new PendingLink("serial", a.Text) { Baud = _baud });
                _baudAt.Used = true;
            }
        }

        private void Node(HbToken d, List<HbToken> args)
        {
            if (!NeedArgs(d, args, 1, "HACF006", "node NAME [NAME...]"))
            {
                return;
            }
            foreach (var a in args)
            {
                if (!HbNames.IsHostName(a.Text))
                {
                    Report.Error("HACF036", a.Line, a.Column,
                        $"'{HbNames.Quote(a.Text)}' is not a node name: expected letters, digits, '.', '_' or '-' (at most 64)",
                        "a node name is what 'uname -n' prints on that node");
                    continue;
                }
                if (!_nodeNames.Add(a.Text))
                {
                    Report.Warning("HACF033", a.Line, a.Column, $"node '{a.Text}' is listed twice (names compare without case); the repeat is ignored",
                        "remove the duplicate");
                    continue;
                }
                _nodes.Add(new NodeSpec(a.Text));
            }
        }

        private bool PingAddress(HbToken a, bool ipv6)
        {
            var ok = ipv6 ? HbNames.TryParseIPv6(a.Text, out _)
                : HbNames.TryParseIPv4(a.Text, out _) || (HbNames.IsHostName(a.Text) && !a.Text.All(c => char.IsAsciiDigit(c) || c == '.'));
            if (!ok)
            {
                Report.Error("HACF026", a.Line, a.Column,
                    $"'{HbNames.Quote(a.Text)}' is not {(ipv6 ? "an IPv6 address" : "an IPv4 address or host name")} to ping",
                    "ping nodes are stable addresses outside the cluster, usually the default gateway");
            }
            return ok;
        }

        private void Resolves(HbToken a)
        {
            if (_host is not null && !_host.Resolves(a.Text))
            {
                StartCheck("HACF049", a, $"ping node [{HbNames.Quote(a.Text)}] does not resolve to an address",
                    "write the ping node's address, or a name that resolves on this node (getent hosts NAME)");
            }
        }

        private void Ping(HbToken d, List<HbToken> args)
        {
            if (!NeedArgs(d, args, 1, "HACF026", $"{d.Text} ADDRESS [ADDRESS...]"))
            {
                return;
            }
            foreach (var a in args)
            {
                if (PingAddress(a, d.Text == "ping6"))
                {
                    Resolves(a);
                    _ping.Add(new PingSpec(a.Text, [a.Text], IsGroup: false));
                }
            }
        }

        private void PingGroup(HbToken d, List<HbToken> args)
        {
            if (!NeedArgs(d, args, 2, "HACF026", "ping_group NAME ADDRESS [ADDRESS...]"))
            {
                return;
            }
            var addresses = new List<string>();
            foreach (var a in args.Skip(1))
            {
                if (PingAddress(a, ipv6: HbNames.TryParseIPv6(a.Text, out _)))
                {
                    Resolves(a);
                    addresses.Add(a.Text);
                }
            }
            if (!_pingGroups.Add(args[0].Text))
            {
                Report.Error("HACF026", args[0].Line, args[0].Column, $"ping group '{HbNames.Quote(args[0].Text)}' is defined twice",
                    "give each ping_group its own name, or merge the addresses into one line");
                return;
            }
            if (addresses.Count > 0)
            {
                _ping.Add(new PingSpec(args[0].Text, addresses, IsGroup: true));
            }
        }

        private void Respawn(HbToken d, List<HbToken> args)
        {
            if (!NeedArgs(d, args, 2, "HACF029", "respawn USER /PATH/TO/PROGRAM [ARGS...]"))
            {
                return;
            }
            var program = args[1];
            if (!program.Text.StartsWith('/'))
            {
                Report.Error("HACF029", program.Line, program.Column,
                    $"respawn program '{HbNames.Quote(program.Text)}' is not an absolute path",
                    "write the program's full path, for example /usr/lib/heartbeat/ipfail");
                return;
            }
            // ipfail is not run (its rule is built in), so neither its user nor its program matters
            // here, although Heartbeat refuses to start without them.
            var isIpfail = Path.GetFileName(program.Text) == "ipfail";
            if (_host is not null && !isIpfail && !_host.UserExists(args[0].Text))
            {
                StartCheck("HACF050", args[0], $"Invalid uid [{HbNames.Quote(args[0].Text)}] specified for client child",
                    "write a user that exists on this node (getent passwd USER), usually hacluster");
            }
            if (_host is not null && !isIpfail && !_host.IsExecutable(program.Text))
            {
                StartCheck("HACF050", program, $"Client child command [{HbNames.Quote(program.Text)}] is not executable",
                    "install the program, or correct its path (Debian's ipfail is /usr/libexec/heartbeat/ipfail)");
            }
            if (isIpfail)
            {
                Report.Info("HACF040", program.Line, program.Column,
                    "accepted, not acted on: respawn of ipfail (Tandem compares ping connectivity itself, using the ping and ping_group lines)");
                return;
            }
            _respawn.Add(new RespawnSpec(args[0].Text, string.Join(' ', args.Skip(1).Select(a => a.Text))));
        }

        private void Stonith(HbToken d, List<HbToken> args)
        {
            if (!NeedArgs(d, args, 2, "HACF027", "stonith TYPE CONFIG-FILE"))
            {
                return;
            }
            if (args.Count > 2)
            {
                Report.Error("HACF027", args[2].Line, args[2].Column, "'stonith' takes a device type and a configuration file, nothing more",
                    "use 'stonith_host * TYPE PARAMS...' to give parameters on the line");
                return;
            }
            _fencing.Add(new FenceDeviceSpec(UniqueFenceName(args[0].Text), FenceKind.Stonith, args[0].Text)
            {
                Parameters = new Dictionary<string, string> { ["config-file"] = args[1].Text },
            });
        }

        private void StonithHost(HbToken d, List<HbToken> args)
        {
            if (!NeedArgs(d, args, 2, "HACF027", "stonith_host FROM-NODE|* TYPE [PARAMS...]"))
            {
                return;
            }
            var from = args[0];
            if (from.Text != "*" && !HbNames.IsHostName(from.Text))
            {
                Report.Error("HACF027", from.Line, from.Column,
                    $"stonith_host '{HbNames.Quote(from.Text)}' is not a node name or '*'",
                    "the first value names the node that runs this device, or * for every node");
                return;
            }
            var name = UniqueFenceName(args[1].Text);
            if (from.Text != "*")
            {
                _stonithHosts.Add((name, from));
            }
            _fencing.Add(new FenceDeviceSpec(name, FenceKind.Stonith, args[1].Text)
            {
                RunsOn = from.Text == "*" ? null : from.Text,
                // The parameters often hold a password: they go into the model, never into a message.
                Parameters = new Dictionary<string, string> { ["params"] = string.Join(' ', args.Skip(2).Select(a => a.Text)) },
            });
        }

        private string UniqueFenceName(string type)
        {
            var name = $"stonith-{type}";
            var n = _fenceCounts[name] = _fenceCounts.GetValueOrDefault(name) + 1;
            var candidate = n == 1 ? name : $"{name}-{n}";
            while (!_fenceNames.Add(candidate))
            {
                candidate = $"{name}-{++n}";
                _fenceCounts[name] = n;
            }
            return candidate;
        }
    }

    /// <summary>A medium as read, before its final name is chosen.</summary>
    private sealed class PendingLink(string kind, string iface)
    {
        public string Kind { get; } = kind;
        public string Interface { get; } = iface;
        public int Port { get; init; }
        public int Baud { get; init; }
        public string? Group { get; init; }
        public int Ttl { get; init; }
        public bool Loop { get; init; }
        public List<LinkEndpoint> Endpoints { get; } = [];
    }
}
