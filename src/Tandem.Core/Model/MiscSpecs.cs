namespace Tandem.Core.Model;

/// <summary>What happens when a group's preferred node rejoins (Heartbeat's <c>auto_failback</c>).</summary>
public enum FailbackMode
{
    /// <summary>Groups move back to their preferred node.</summary>
    On,
    /// <summary>Groups stay where they are until a failure or an administrator moves them.</summary>
    Off,
    /// <summary>Heartbeat's pre-nice_failback behaviour: the preferred node pulls its groups back.</summary>
    Legacy,
}

/// <summary>Where notification mail is relayed.</summary>
public sealed record NotificationSpec
{
    /// <summary>The SMTP relay as <c>host:port</c>.</summary>
    /// <value><c>localhost:25</c>.</value>
    public string SmtpRelay { get; init; } = "localhost:25";

    /// <summary>The sender address; null derives <c>tandem@NODE</c>.</summary>
    public string? From { get; init; }
}

/// <summary>A ping node, or a ping group that is up when any member answers.</summary>
/// <param name="Name">The node's address, or the group's name.</param>
/// <param name="Addresses">The addresses probed.</param>
/// <param name="IsGroup">True for a <c>ping_group</c>.</param>
public sealed record PingSpec(string Name, IReadOnlyList<string> Addresses, bool IsGroup);

/// <summary>Logging destinations named by the classic files.</summary>
public sealed record LoggingSpec
{
    /// <summary>The syslog facility, or null.</summary>
    public string? Facility { get; init; }

    /// <summary>The file for ordinary messages, or null.</summary>
    public string? LogFile { get; init; }

    /// <summary>The file for debug messages, or null.</summary>
    public string? DebugFile { get; init; }
}

/// <summary>A child process the daemon keeps running (Heartbeat's <c>respawn USER PATH [ARGS]</c>).</summary>
/// <param name="User">The user it runs as.</param>
/// <param name="Command">The program and its arguments.</param>
public sealed record RespawnSpec(string User, string Command);
