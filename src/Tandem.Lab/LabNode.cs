using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Tandem.Daemon.Control;
using Tandem.Lab.Events;
using Tandem.Lab.Placement;
using Tandem.Lab.Processes;

namespace Tandem.Lab;

/// <summary>
/// One node of the lab: its directories, its daemon process (started again after a stop or a
/// power cut) and the event feed of the current process. Readiness comes the way systemd gets it:
/// <c>READY=1</c> on a notify socket, sent once the control socket answers and every subsystem has
/// started. Disposing the node stops its daemon (SIGTERM, then SIGKILL by pid at the deadline).
/// </summary>
public sealed class LabNode : IAsyncDisposable
{
    /// <summary>How long a daemon is given to stop on SIGTERM when the lab is torn down.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    private readonly TandemCommand _tandem;
    private readonly LabNodeOptions _options;
    private readonly Lock _logLock = new();
    private StreamWriter? _log;
    private Socket? _notify;
    private readonly List<LabProcess> _exited = [];
    private LabProcess? _process;
    private EventFeed? _feed;

    /// <summary>Creates the node and its directory (0700); nothing runs yet.</summary>
    /// <param name="tandem">How to run the tandem program.</param>
    /// <param name="options">The node.</param>
    public LabNode(TandemCommand tandem, LabNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(tandem);
        ArgumentNullException.ThrowIfNull(options);
        _tandem = tandem;
        _options = options;
        Directory.CreateDirectory(options.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ConfigArguments = options.ConfigArguments;
        if (options.OutputLog is { } path)
        {
            _log = new StreamWriter(path, append: true, new UTF8Encoding(false)) { AutoFlush = true };
        }
    }

    /// <summary>The node's name.</summary>
    public string Name => _options.Name;

    /// <summary>The node's own directory.</summary>
    public string Home => _options.Home;

    /// <summary>The daemon's state directory.</summary>
    public string StateDirectory => _options.StateDirectory ?? Path.Combine(Home, "state");

    /// <summary>The daemon's run directory (control socket, NBD sockets).</summary>
    public string RunDirectory => _options.RunDirectory ?? Path.Combine(Home, "run");

    /// <summary>Where the node runs.</summary>
    public INodePlacement Placement => _options.Placement;

    /// <summary>How long disposing waits for the daemon to stop on SIGTERM; zero kills it at once.</summary>
    public TimeSpan DisposeGrace => _options.DisposeGrace;

    /// <summary>The file holding the pid of the current daemon (for fence scripts: "power off" is a kill of that pid).</summary>
    public string PidFile => Path.Combine(Home, "daemon.pid");

    /// <summary>The configuration arguments of the next start (a test may switch from classic files to a converted tandem.toml).</summary>
    public IReadOnlyList<string> ConfigArguments { get; set; }

    /// <summary>The current (or last) daemon process, or null before the first start.</summary>
    public LabProcess? Process => _process;

    /// <summary>The pid of the current (or last) daemon.</summary>
    /// <exception cref="InvalidOperationException">The node was never started.</exception>
    public int Pid => (_process ?? throw NotStarted()).Pid;

    /// <summary>Whether a daemon of this node runs now.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The events of the current (or last) daemon process.</summary>
    /// <exception cref="InvalidOperationException">The node was never ready.</exception>
    public EventFeed Events => _feed ?? throw new InvalidOperationException($"{Name} has no event feed: its daemon was never ready");

    /// <summary>tandem's arguments for the daemon: <c>daemon CONFIG --node NAME --state-dir DIR --run-dir DIR ...</c>.</summary>
    public IReadOnlyList<string> DaemonArguments =>
        ["daemon", .. ConfigArguments, "--node", Name, "--state-dir", StateDirectory, "--run-dir", RunDirectory, .. _options.DaemonArguments];

    /// <summary>Starts the daemon (again); <see cref="WaitReadyAsync"/> waits until it is ready.</summary>
    /// <returns>The process.</returns>
    /// <exception cref="InvalidOperationException">A daemon of this node still runs.</exception>
    public LabProcess Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name}'s daemon (pid {_process!.Pid}) still runs");
        }
        if (_process is { } previous)
        {
            _exited.Add(previous);
        }
        // A fresh socket for each process: whatever an earlier one sent is not news about this one.
        _notify?.Dispose();
        var notifyPath = Path.Combine(Home, "notify");
        if (Encoding.UTF8.GetByteCount(notifyPath) > 107)
        {
            throw new LabException($"the directory {Home} is too deep for a Unix socket path (107 bytes at most)");
        }
        File.Delete(notifyPath);
        _notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var environment = new Dictionary<string, string?>(_options.Environment) { ["NOTIFY_SOCKET"] = notifyPath };
        var arguments = DaemonArguments;
        var description = (Placement is LoopbackPlacement ? "" : $"[{Placement.Description}] ") + "tandem " + string.Join(' ', arguments);
        _process = LabProcess.Start(Placement.Wrap([.. _options.Wrapper, .. _tandem.CommandLine(arguments)]), environment, description, _log is null ? null : Log);
        File.WriteAllText(PidFile, _process.Pid.ToString(CultureInfo.InvariantCulture));
        return _process;
    }

    /// <summary>Waits for <c>READY=1</c> from the daemon just started, then follows its events.</summary>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>A task that completes when the daemon is ready and its feed runs.</returns>
    /// <exception cref="LabTimeoutException">It was not ready by the deadline.</exception>
    /// <exception cref="LabException">It exited first (the message holds its output).</exception>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var process = _process ?? throw NotStarted();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var buffer = new byte[4096];
        var exited = process.Exited.WaitAsync(deadline.Token);
        try
        {
            while (true)
            {
                var received = _notify!.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).AsTask();
                var first = await Task.WhenAny(received, exited).ConfigureAwait(false);
                if (first == exited)
                {
                    await exited.ConfigureAwait(false);
                    await process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
                    throw new LabException(string.Create(CultureInfo.InvariantCulture,
                        $"{Name}'s daemon exited with code {process.ExitCode} before it was ready: {process}"));
                }
                var message = Encoding.UTF8.GetString(buffer, 0, await received.ConfigureAwait(false));
                if (message.StartsWith("READY=1", StringComparison.Ordinal) || message.Contains("\nREADY=1", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LabTimeoutException($"{Name}'s daemon (pid {process.Pid}) to report ready (READY=1)", timeout, process.ToString());
        }
        if (_feed is { } old)
        {
            await old.DisposeAsync().ConfigureAwait(false);
        }
        _feed = EventFeed.Follow(Name, RunDirectory, _options.OnEvent);
    }

    /// <summary>Starts the daemon and waits until it is ready.</summary>
    /// <param name="timeout">The deadline for readiness.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>A task that completes when it is ready.</returns>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Start();
        await WaitReadyAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a signal to the daemon by its pid.</summary>
    /// <param name="signal">The signal (<see cref="Signals"/>).</param>
    public void Signal(int signal) => (_process ?? throw NotStarted()).Signal(signal);

    /// <summary>
    /// A power cut: SIGKILL to the daemon and to <paramref name="alsoKill"/> (the node's other
    /// processes; a negative pid is a process group) at once, by pid; then waits until the daemon
    /// is gone. Nothing is released, demoted or unmounted. The feed keeps what it received.
    /// </summary>
    /// <param name="alsoKill">Further pids (or negative process groups) of this node.</param>
    /// <param name="timeout">How long the daemon may take to die.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>A task that completes when the daemon has died.</returns>
    public async Task PowerCutAsync(IReadOnlyList<int> alsoKill, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alsoKill);
        var process = _process ?? throw NotStarted();
        Signals.Send(process.Pid, Signals.SIGKILL);
        foreach (var pid in alsoKill)
        {
            Signals.Send(pid, Signals.SIGKILL);
        }
        await process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (_feed is { } feed)
        {
            await feed.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A power cut of the daemon alone: SIGKILL by pid, then waits until it is gone.</summary>
    /// <param name="timeout">How long the daemon may take to die.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>A task that completes when the daemon has died.</returns>
    public Task PowerCutAsync(TimeSpan timeout, CancellationToken cancellationToken) => PowerCutAsync([], timeout, cancellationToken);

    /// <summary>SIGTERM, then the exit code; SIGKILL (by pid) when it has not stopped by the deadline.</summary>
    /// <param name="timeout">How long it may take to stop.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>The daemon's exit code.</returns>
    /// <exception cref="LabTimeoutException">It did not stop in time; it was killed.</exception>
    public async Task<int> StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var process = _process ?? throw NotStarted();
        if (!process.HasExited)
        {
            Signals.Send(process.Pid, Signals.SIGTERM);
        }
        return await WaitStoppedAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for a daemon that was sent SIGTERM to exit; SIGKILL at the deadline.</summary>
    /// <param name="timeout">How long it may take.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>The exit code.</returns>
    /// <exception cref="LabTimeoutException">It did not stop in time; it was killed.</exception>
    public async Task<int> WaitStoppedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var process = _process ?? throw NotStarted();
        try
        {
            await process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (LabTimeoutException e)
        {
            await process.KillAsync().ConfigureAwait(false);
            throw new LabTimeoutException($"{Name} (pid {process.Pid}) to stop after SIGTERM; it was killed", timeout, e.Message);
        }
        if (_feed is { } feed)
        {
            await feed.DisposeAsync().ConfigureAwait(false);
        }
        return process.ExitCode;
    }

    /// <summary>A client of the daemon's control socket; the caller disposes it.</summary>
    /// <returns>The client.</returns>
    public ControlClient Control() => new(RunDirectory);

    /// <summary>The last lines the current (or last) daemon printed.</summary>
    /// <param name="lines">How many.</param>
    /// <returns>The lines.</returns>
    public IReadOnlyList<string> OutputTail(int lines) => _process?.Tail(lines) ?? [];

    /// <summary>Stops the daemon if it runs (SIGTERM, SIGKILL by pid after <see cref="LabNodeOptions.DisposeGrace"/>), ends the feed, closes the files.</summary>
    /// <returns>A task that completes when nothing of the node runs.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited && _options.DisposeGrace > TimeSpan.Zero)
            {
                Signals.Send(process.Pid, Signals.SIGTERM);
                try
                {
                    await process.WaitForExitAsync(_options.DisposeGrace, CancellationToken.None).ConfigureAwait(false);
                }
                catch (LabTimeoutException)
                {
                    // Killed below.
                }
            }
            await process.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var exited in _exited)
        {
            await exited.DisposeAsync().ConfigureAwait(false);
        }
        if (_feed is { } feed)
        {
            await feed.DisposeAsync().ConfigureAwait(false);
        }
        _notify?.Dispose();
        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    private InvalidOperationException NotStarted() => new($"{Name}'s daemon was never started");

    private void Log(string line)
    {
        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
    }
}
