namespace Tandem.Daemon.Hosting;

/// <summary>Another live daemon holds the run directory.</summary>
public sealed class DaemonAlreadyRunningException : DaemonStartException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="pidFile">The locked pid file.</param>
    /// <param name="pid">The pid recorded by the holder, when readable.</param>
    public DaemonAlreadyRunningException(string pidFile, int? pid)
        : base(pid is { } p
            ? $"another tandem daemon (pid {p}) is already running on {Path.GetDirectoryName(pidFile)} (it holds the lock on {pidFile}); stop it first, or pass a different --run-dir"
            : $"another tandem daemon is already running on {Path.GetDirectoryName(pidFile)} (it holds the lock on {pidFile}); stop it first, or pass a different --run-dir")
    {
        PidFile = pidFile;
        Pid = pid;
    }

    /// <summary>The locked pid file.</summary>
    public string PidFile { get; }

    /// <summary>The pid of the running daemon, when its pid file could be read.</summary>
    public int? Pid { get; }
}
