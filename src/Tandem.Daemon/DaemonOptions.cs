using Microsoft.Extensions.Logging;
using Tandem.Daemon.Control;

namespace Tandem.Daemon;

/// <summary>How one node's daemon runs: who it is, where it keeps its files, and its limits.</summary>
public sealed record DaemonOptions
{
    /// <summary>The default state directory (event log, and later volume metadata).</summary>
    public const string DefaultStateDirectory = "/var/lib/tandem";

    /// <summary>The default run directory (pid file, control socket).</summary>
    public const string DefaultRunDirectory = "/run/tandem";

    /// <summary>The node this daemon is; must be a member of the cluster.</summary>
    public required string NodeName { get; init; }

    /// <summary>Where persistent state lives.</summary>
    /// <value><see cref="DefaultStateDirectory"/>.</value>
    public string StateDirectory { get; init; } = DefaultStateDirectory;

    /// <summary>Where the pid file and the control socket live; one daemon per run directory.</summary>
    /// <value><see cref="DefaultRunDirectory"/>.</value>
    public string RunDirectory { get; init; } = DefaultRunDirectory;

    /// <summary>How long a stop may take before the host gives up on the remaining components.</summary>
    /// <value>5 s.</value>
    /// <remarks>systemd's default TimeoutStopSec is 90 s; a few seconds keeps a failover fast.</remarks>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the cluster subsystems of <see cref="Hosting.DaemonComposition"/> (membership, ...) run.
    /// Tests of the daemon's own machinery turn them off to see only what they add themselves.
    /// </summary>
    /// <value>true.</value>
    public bool RunClusterSubsystems { get; init; } = true;

    /// <summary>How many recent events the daemon keeps in memory for <c>tandem events</c>.</summary>
    /// <value>10,000.</value>
    public int EventRingCapacity { get; init; } = 10_000;

    /// <summary>The clock of the daemon.</summary>
    /// <value><see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Decides whether a client connecting to the control socket may use it; null for the default,
    /// which allows root and the daemon's own user.
    /// </summary>
    public Func<PeerCredentials, bool>? AuthorizePeer { get; init; }

    /// <summary>The sd_notify socket; null reads <c>NOTIFY_SOCKET</c> from the environment.</summary>
    public string? NotifySocket { get; init; }

    /// <summary>
    /// Whether the daemon runs under real-time scheduling (SCHED_RR) while membership runs, so
    /// that a saturated CPU cannot delay heartbeats into a false failover — Heartbeat's
    /// <c>realtime</c>, on by default there too. It needs root; without it the daemon runs on, and
    /// says so.
    /// </summary>
    /// <value>true.</value>
    public bool Realtime { get; init; } = true;

    /// <summary>The least severe messages the default logging writes.</summary>
    /// <value><see cref="LogLevel.Information"/>.</value>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>Replaces the default logging (single-line console on stderr), for tests and embedding.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>Where the control socket of a run directory is.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <returns>The socket path.</returns>
    public static string ControlSocketPath(string runDirectory) => Path.Combine(runDirectory, "control.sock");

    /// <summary>Where the pid file of a run directory is.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <returns>The pid file path.</returns>
    public static string PidFilePath(string runDirectory) => Path.Combine(runDirectory, "tandem.pid");

    /// <summary>The event log file in a state directory.</summary>
    /// <param name="stateDirectory">The state directory.</param>
    /// <returns>The JSON-lines file.</returns>
    public static string EventLogPath(string stateDirectory) => Path.Combine(stateDirectory, "events.jsonl");
}
