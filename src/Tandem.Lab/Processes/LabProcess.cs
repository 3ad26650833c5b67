using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tandem.Lab.Processes;

/// <summary>
/// A child process started by the lab, with its output collected line by line so that a caller can
/// wait for a line. Disposing it kills it (and what it started) by pid when it is still running.
/// </summary>
public sealed class LabProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<string>? _onLine;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private int? _exitCode;

    private LabProcess(Process process, string description, Action<string>? onLine)
    {
        _process = process;
        Description = description;
        _onLine = onLine;
    }

    /// <summary>How many lines of each stream are kept; older ones are dropped (a daemon runs long).</summary>
    public const int MaxLines = 20_000;

    /// <summary>The command line as shown in failure messages.</summary>
    public string Description { get; }

    /// <summary>The process id.</summary>
    public int Pid { get; private set; }

    /// <summary>Everything the process wrote to standard output so far, one line after another.</summary>
    public string Stdout
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _stdout);
            }
        }
    }

    /// <summary>Everything the process wrote to standard error so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    /// <summary>The exit code; only once <see cref="HasExited"/>.</summary>
    public int ExitCode => _exitCode ?? _process.ExitCode;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _exitCode is not null || _process.HasExited;

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited { get; private set; } = Task.CompletedTask;

    /// <summary>Starts <paramref name="commandLine"/> (file first) with its output collected.</summary>
    /// <param name="commandLine">The program and its arguments.</param>
    /// <param name="environment">Variables to set (a null value removes one).</param>
    /// <param name="description">How failure messages name it; the command line when null.</param>
    /// <param name="onLine">Called with each line of output (both streams), on a pool thread.</param>
    /// <returns>The running process.</returns>
    /// <exception cref="LabException">The program could not be started.</exception>
    public static LabProcess Start(IReadOnlyList<string> commandLine, IReadOnlyDictionary<string, string?>? environment = null, string? description = null, Action<string>? onLine = null)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentOutOfRangeException.ThrowIfZero(commandLine.Count);
        var psi = new ProcessStartInfo(commandLine[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in commandLine.Skip(1))
        {
            psi.ArgumentList.Add(argument);
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // A lab run under systemd must not hand the service manager's socket to its children.
        psi.Environment.Remove("NOTIFY_SOCKET");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var lab = new LabProcess(process, description ?? string.Join(' ', commandLine), onLine);
        process.OutputDataReceived += (_, e) => lab.Receive(e.Data, lab._stdout, lab._stdoutClosed);
        process.ErrorDataReceived += (_, e) => lab.Receive(e.Data, lab._stderr, lab._stderrClosed);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new LabException($"could not start {commandLine[0]}: {e.Message}", e);
        }
        lab.Pid = process.Id;
        lab.Exited = process.WaitForExitAsync();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return lab;
    }

    /// <summary>Runs <paramref name="commandLine"/> to completion (or kills it at the deadline).</summary>
    /// <param name="commandLine">The program and its arguments.</param>
    /// <param name="timeout">How long it may run.</param>
    /// <param name="cancellationToken">Aborts the wait; the process is killed.</param>
    /// <param name="environment">Variables to set.</param>
    /// <returns>The exited process, its output drained.</returns>
    /// <exception cref="LabTimeoutException">It did not exit in time (it was killed).</exception>
    public static async Task<LabProcess> RunAsync(IReadOnlyList<string> commandLine, TimeSpan timeout, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var process = Start(commandLine, environment);
        try
        {
            await process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return process;
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for a line on standard output or error that contains <paramref name="text"/>.</summary>
    /// <param name="text">The text to look for.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>The first such line.</returns>
    /// <exception cref="LabTimeoutException">No such line by the deadline.</exception>
    /// <exception cref="LabException">The process exited without printing it.</exception>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var line = _stdout.Concat(_stderr).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
                if (line is not null)
                {
                    return line;
                }
                changed = _changed.Task;
            }
            if (_process.HasExited && _stdoutClosed.Task.IsCompleted && _stderrClosed.Task.IsCompleted)
            {
                throw new LabException(string.Create(CultureInfo.InvariantCulture,
                    $"{what}: `{Description}` exited with code {_process.ExitCode} before printing \"{text}\".\n{Output()}"));
            }
            try
            {
                await Task.WhenAny(changed, _process.WaitForExitAsync(deadline.Token)).WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LabTimeoutException($"\"{text}\" from `{Description}` ({what})", timeout, Output());
            }
        }
    }

    /// <summary>Waits for the process to exit and its output to be drained.</summary>
    /// <param name="timeout">The deadline.</param>
    /// <param name="cancellationToken">Aborts the wait.</param>
    /// <returns>A task that completes when it has exited.</returns>
    /// <exception cref="LabTimeoutException">It still runs at the deadline.</exception>
    public async Task WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new LabTimeoutException($"`{Description}` (pid {Pid}) to exit", timeout, Output());
        }
    }

    /// <summary>Sends a signal to the process by its pid.</summary>
    /// <param name="signal">The signal (<see cref="Signals"/>).</param>
    /// <exception cref="LabException">It could not be sent (the process is gone).</exception>
    public void Signal(int signal)
    {
        if (!Signals.Send(Pid, signal))
        {
            throw new LabException(string.Create(CultureInfo.InvariantCulture, $"could not send signal {signal} to `{Description}` (pid {Pid}): it is gone"));
        }
    }

    /// <summary>SIGKILL to the process and every process it started that is still its descendant, by pid; then waits.</summary>
    /// <returns>A task that completes when it has exited.</returns>
    public async Task KillAsync()
    {
        if (_exitCode is not null)
        {
            return;
        }
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of output, both streams in arrival order.</summary>
    /// <param name="lines">How many.</param>
    /// <returns>The lines.</returns>
    public IReadOnlyList<string> Tail(int lines)
    {
        lock (_lock)
        {
            return [.. _stdout.Concat(_stderr).TakeLast(lines)];
        }
    }

    /// <summary>Kills the process by pid when it still runs, then releases it.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await KillAsync().ConfigureAwait(false);
        // What callers may still ask once the process object is released.
        _exitCode = _process.ExitCode;
        _process.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"`{Description}` (exit {(HasExited ? ExitCode.ToString(CultureInfo.InvariantCulture) : "running")})\n{Output()}";

    private string Output() => $"stdout:\n{Stdout}\nstderr:\n{Stderr}";

    private void Receive(string? line, List<string> lines, TaskCompletionSource closed)
    {
        lock (_lock)
        {
            if (line is null)
            {
                closed.TrySetResult();
            }
            else
            {
                lines.Add(line);
                if (lines.Count > MaxLines)
                {
                    lines.RemoveRange(0, MaxLines / 2);
                }
            }
            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
        if (line is not null)
        {
            _onLine?.Invoke(line);
        }
    }
}
