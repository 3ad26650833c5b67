namespace Tandem.Config.Classic;

/// <summary>The ha.cf directives of Heartbeat 3.0.6 and what Tandem does with each.</summary>
internal static class HaCfDirectives
{
    /// <summary>Directives Tandem reads into the cluster model.</summary>
    public static readonly IReadOnlySet<string> ActedOn = new HashSet<string>(StringComparer.Ordinal)
    {
        "logfacility", "logfile", "debugfile", "keepalive", "deadtime", "warntime", "initdead", "deadping",
        "udpport", "baud", "serial", "bcast", "mcast", "mcast6", "ucast", "ucast6", "node", "autojoin",
        "auto_failback", "nice_failback", "ping", "ping6", "ping_group", "respawn", "stonith", "stonith_host",
        "crm", "pacemaker", "cluster",
    };

    /// <summary>Directives accepted for compatibility, with why Tandem does not act on them.</summary>
    public static readonly IReadOnlyDictionary<string, (string Why, HaCfValueKind Kind)> NotActedOn =
        new Dictionary<string, (string, HaCfValueKind)>(StringComparer.Ordinal)
        {
            ["use_logd"] = ("Tandem logs to the journal and its event log; there is no ha_logd", HaCfValueKind.Bool),
            ["conn_logd_time"] = ("there is no ha_logd to reconnect to", HaCfValueKind.Time),
            ["hbaping"] = ("Fibre Channel HBA ping nodes are not supported (Heartbeat never fully supported them either)", HaCfValueKind.Any),
            ["failfast"] = ("use respawn; Tandem does not reboot the node when a child exits", HaCfValueKind.Any),
            ["apiauth"] = ("Tandem's control socket authorises clients by their Unix credentials", HaCfValueKind.Any),
            ["watchdog"] = ("Tandem's fencing does not use a watchdog device", HaCfValueKind.Any),
            ["hopfudge"] = ("messages are not relayed between media", HaCfValueKind.Integer),
            ["hbgenmethod"] = ("Tandem keeps its own generation number in its state directory", HaCfValueKind.Any),
            ["realtime"] = ("scheduling priority is set by the systemd unit", HaCfValueKind.Bool),
            ["rtprio"] = ("scheduling priority is set by the systemd unit", HaCfValueKind.Integer),
            ["debug"] = ("the log level is set with --verbose or the TANDEM_LOG_LEVEL environment variable", HaCfValueKind.Integer),
            ["msgfmt"] = ("Tandem's wire format is its own", HaCfValueKind.Any),
            ["compression"] = ("Tandem's messages are small and never compressed", HaCfValueKind.Any),
            ["compression_threshold"] = ("Tandem's messages are small and never compressed", HaCfValueKind.Integer),
            ["traditional_compression"] = ("Tandem's messages are small and never compressed", HaCfValueKind.Bool),
            ["max_rexmit_delay"] = ("Tandem's membership messages are not retransmitted on request", HaCfValueKind.Integer),
            ["uuidfrom"] = ("nodes are identified by name", HaCfValueKind.Any),
            ["coredumps"] = ("core dumps are governed by systemd", HaCfValueKind.Bool),
            ["coreroot"] = ("core dumps are governed by systemd", HaCfValueKind.Any),
            ["log_badpack"] = ("rejected packets are always counted and logged at debug level", HaCfValueKind.Bool),
            ["normalpoll"] = ("Tandem does not poll", HaCfValueKind.Any),
            ["memreserve"] = ("the .NET runtime manages memory", HaCfValueKind.Integer),
            ["env"] = ("set environment variables in the systemd unit", HaCfValueKind.Any),
            ["quorum_server"] = ("quorum servers are not supported", HaCfValueKind.Any),
            ["crm_daemon_dir"] = ("Tandem does not run Pacemaker", HaCfValueKind.Any),
            ["crmd_spawns_pengine"] = ("Tandem does not run Pacemaker", HaCfValueKind.Bool),
        };

    /// <summary>
    /// Directives read as a whole line, or media directives that parse their whole line: Heartbeat
    /// refuses them without a value. Every other directive is applied once per value, so a line with
    /// none does nothing.
    /// </summary>
    private static readonly IReadOnlySet<string> s_wholeLine = new HashSet<string>(StringComparer.Ordinal)
    {
        "stonith", "stonith_host", "apiauth", "respawn", "failfast", "ucast", "ucast6", "mcast", "mcast6", "ping_group",
    };

    /// <summary>Whether Heartbeat refuses the directive without a value (whole-line directives).</summary>
    public static bool NeedsValue(string name) => s_wholeLine.Contains(name);

    /// <summary>Whether the directive's values are split at commas as well as blanks (option directives).</summary>
    public static bool SplitsAtCommas(string name) => !s_wholeLine.Contains(name);

    /// <summary>Every legal directive.</summary>
    public static IEnumerable<string> All => ActedOn.Concat(NotActedOn.Keys);

    /// <summary>True when <paramref name="name"/> is a legal directive (case-sensitive, as in Heartbeat).</summary>
    public static bool IsKnown(string name) => ActedOn.Contains(name) || NotActedOn.ContainsKey(name);

    /// <summary>The syslog facilities <c>logfacility</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Facilities =
    [
        "auth", "authpriv", "daemon", "syslog", "user", "local0", "local1", "local2", "local3",
        "local4", "local5", "local6", "local7", "none",
    ];

    /// <summary>The serial speeds <c>baud</c> accepts.</summary>
    public static readonly IReadOnlySet<int> BaudRates = new HashSet<int>
    {
        300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800,
    };
}
