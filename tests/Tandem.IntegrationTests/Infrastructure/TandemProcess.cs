using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace Tandem.IntegrationTests.Infrastructure;

/// <summary>
/// The real <c>tandem</c> command as a child process (<c>dotnet tandem.dll ...</c>, optionally inside
/// a network namespace), with its output collected line by line so that a test can wait for a line.
/// </summary>
internal sealed class TandemProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TandemProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    public string Description { get; }

    public int Pid => _process.Id;

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

    /// <summary>The path of tandem.dll next to the test assembly.</summary>
    public static string TandemDll => Path.Combine(AppContext.BaseDirectory, "tandem.dll");

    /// <summary>
    /// Starts <c>dotnet tandem.dll ARGS</c>, inside <paramref name="netns"/> when given, through
    /// <paramref name="wrapper"/> when given (a command that ends by exec'ing its arguments, so that
    /// the pid stays the daemon's).
    /// </summary>
    public static TandemProcess Start(IEnumerable<string> args, string? netns = null, IDictionary<string, string>? environment = null, IReadOnlyList<string>? wrapper = null)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        var command = new List<string>(wrapper ?? []) { DotnetHost };
        if (netns is not null)
        {
            // ip netns exec replaces itself with the command: the pid we get is the daemon's.
            command.InsertRange(0, ["ip", "netns", "exec", netns]);
        }
        psi.FileName = command[0];
        foreach (var part in command.Skip(1))
        {
            psi.ArgumentList.Add(part);
        }
        psi.ArgumentList.Add(TandemDll);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment.Remove("NOTIFY_SOCKET");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }
        var description = (netns is null ? "" : $"[netns {netns}] ") + (wrapper is null ? "" : "[wrapped] ") + "tandem " + string.Join(' ', args);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var tp = new TandemProcess(process, description);
        process.OutputDataReceived += (_, e) => tp.Receive(e.Data, tp._stdout, tp._stdoutClosed);
        process.ErrorDataReceived += (_, e) => tp.Receive(e.Data, tp._stderr, tp._stderrClosed);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tp;
    }

    /// <summary>Runs a command to completion.</summary>
    public static async Task<TandemProcess> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, string? netns = null)
    {
        var process = Start(args, netns);
        await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return process;
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited => _process.WaitForExitAsync();

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for a line on stdout or stderr that contains <paramref name="text"/>.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout, string what)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
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
                throw new Xunit.Sdk.XunitException(
                    $"{what}: `{Description}` exited with code {_process.ExitCode} before printing \"{text}\".\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }
            try
            {
                await Task.WhenAny(changed, _process.WaitForExitAsync(cts.Token)).WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{what}: waited {timeout.TotalSeconds:0} s for \"{text}\" from `{Description}`, in vain.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }
        }
    }

    /// <summary>Waits for the process to exit and its output to be drained.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException(
                $"`{Description}` did not exit within {timeout.TotalSeconds:0} s.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    /// <summary>Sends a signal (SIGTERM = 15, SIGINT = 2).</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public override string ToString() => $"`{Description}` (exit {(_process.HasExited ? _process.ExitCode : "running")})\nstdout:\n{Stdout}\nstderr:\n{Stderr}";

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";

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
            }
            var changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
