namespace Tandem.Config.Classic;

/// <summary>How Tandem treats a directive's value when it does not act on it.</summary>
internal enum ValueKind
{
    /// <summary>Anything.</summary>
    Any,
    /// <summary>A Heartbeat boolean.</summary>
    Bool,
    /// <summary>A Heartbeat time value.</summary>
    Time,
    /// <summary>A non-negative integer.</summary>
    Integer,
}

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
    public static readonly IReadOnlyDictionary<string, (string Why, ValueKind Kind)> NotActedOn =
        new Dictionary<string, (string, ValueKind)>(StringComparer.Ordinal)
        {
            ["use_logd"] = ("Tandem logs to the journal and its event log; there is no ha_logd", ValueKind.Bool),
            ["conn_logd_time"] = ("there is no ha_logd to reconnect to", ValueKind.Time),
            ["hbaping"] = ("Fibre Channel HBA ping nodes are not supported (Heartbeat never fully supported them either)", ValueKind.Any),
            ["failfast"] = ("use respawn; Tandem does not reboot the node when a child exits", ValueKind.Any),
            ["apiauth"] = ("Tandem's control socket authorises clients by their Unix credentials", ValueKind.Any),
            ["watchdog"] = ("Tandem's fencing does not use a watchdog device", ValueKind.Any),
            ["hopfudge"] = ("messages are not relayed between media", ValueKind.Integer),
            ["hbgenmethod"] = ("Tandem keeps its own generation number in its state directory", ValueKind.Any),
            ["realtime"] = ("scheduling priority is set by the systemd unit", ValueKind.Bool),
            ["rtprio"] = ("scheduling priority is set by the systemd unit", ValueKind.Integer),
            ["debug"] = ("the log level is set with --verbose or the TANDEM_LOG_LEVEL environment variable", ValueKind.Integer),
            ["msgfmt"] = ("Tandem's wire format is its own", ValueKind.Any),
            ["compression"] = ("Tandem's messages are small and never compressed", ValueKind.Any),
            ["compression_threshold"] = ("Tandem's messages are small and never compressed", ValueKind.Integer),
            ["traditional_compression"] = ("Tandem's messages are small and never compressed", ValueKind.Bool),
            ["max_rexmit_delay"] = ("Tandem's membership messages are not retransmitted on request", ValueKind.Integer),
            ["uuidfrom"] = ("nodes are identified by name", ValueKind.Any),
            ["coredumps"] = ("core dumps are governed by systemd", ValueKind.Bool),
            ["coreroot"] = ("core dumps are governed by systemd", ValueKind.Any),
            ["log_badpack"] = ("rejected packets are always counted and logged at debug level", ValueKind.Bool),
            ["normalpoll"] = ("Tandem does not poll", ValueKind.Any),
            ["memreserve"] = ("the .NET runtime manages memory", ValueKind.Integer),
            ["env"] = ("set environment variables in the systemd unit", ValueKind.Any),
            ["quorum_server"] = ("quorum servers are not supported", ValueKind.Any),
            ["crm_daemon_dir"] = ("Tandem does not run Pacemaker", ValueKind.Any),
            ["crmd_spawns_pengine"] = ("Tandem does not run Pacemaker", ValueKind.Bool),
        };

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
