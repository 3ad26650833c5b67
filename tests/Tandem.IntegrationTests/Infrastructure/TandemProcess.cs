using Tandem.Lab.Processes;
using Xunit;

namespace Tandem.IntegrationTests.Infrastructure;

/// <summary>
/// The real <c>tandem</c> command as a child process (<c>dotnet tandem.dll ...</c>, optionally inside
/// a network namespace): a <see cref="LabProcess"/> whose waits end with the test.
/// </summary>
internal sealed class TandemProcess : IAsyncDisposable
{
    private readonly IAsyncDisposable? _owner;

    private TandemProcess(LabProcess process, IAsyncDisposable? owner = null)
    {
        Process = process;
        _owner = owner;
    }

    /// <summary>The lab's process underneath.</summary>
    public LabProcess Process { get; }

    public string Description => Process.Description;

    public int Pid => Process.Pid;

    public string Stdout => Process.Stdout;

    public string Stderr => Process.Stderr;

    public int ExitCode => Process.ExitCode;

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited => Process.Exited;

    public bool HasExited => Process.HasExited;

    /// <summary>The path of tandem.dll next to the test assembly.</summary>
    public static string TandemDll => Path.Combine(AppContext.BaseDirectory, "tandem.dll");

    /// <summary>How the tests run tandem: <c>dotnet tandem.dll</c>.</summary>
    public static TandemCommand Command { get; } = TandemCommand.FromAssembly(TandemDll);

    /// <summary>
    /// A process the lab started (a node's daemon), for the tests' waits; disposing the result kills
    /// it by pid when <paramref name="owner"/> is given, and then disposes the owner (the node).
    /// </summary>
    public static TandemProcess Of(LabProcess process, IAsyncDisposable? owner = null) => new(process, owner);

    /// <summary>
    /// Starts <c>dotnet tandem.dll ARGS</c>, inside <paramref name="netns"/> when given, through
    /// <paramref name="wrapper"/> when given (a command that ends by exec'ing its arguments, so that
    /// the pid stays the daemon's).
    /// </summary>
    public static TandemProcess Start(IEnumerable<string> args, string? netns = null, IDictionary<string, string>? environment = null, IReadOnlyList<string>? wrapper = null)
    {
        var arguments = args.ToList();
        IReadOnlyList<string> command = [.. wrapper ?? [], .. Command.CommandLine(arguments)];
        if (netns is not null)
        {
            // ip netns exec replaces itself with the command: the pid we get is the daemon's.
            command = ["ip", "netns", "exec", netns, .. command];
        }
        var description = (netns is null ? "" : $"[netns {netns}] ") + (wrapper is null ? "" : "[wrapped] ") + "tandem " + string.Join(' ', arguments);
        var variables = environment?.ToDictionary(p => p.Key, p => (string?)p.Value);
        return new TandemProcess(LabProcess.Start(command, variables, description));
    }

    /// <summary>Runs a command to completion.</summary>
    public static async Task<TandemProcess> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, string? netns = null)
    {
        var process = Start(args, netns);
        await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>Waits for a line on stdout or stderr that contains <paramref name="text"/>.</summary>
    public Task<string> WaitForLineAsync(string text, TimeSpan timeout, string what) =>
        Process.WaitForLineAsync(text, timeout, what, TestContext.Current.CancellationToken);

    /// <summary>Waits for the process to exit and its output to be drained.</summary>
    public Task WaitForExitAsync(TimeSpan timeout) => Process.WaitForExitAsync(timeout, TestContext.Current.CancellationToken);

    /// <summary>Sends a signal (SIGTERM = 15, SIGINT = 2) by pid.</summary>
    public void Signal(int signal) => Process.Signal(signal);

    public async ValueTask DisposeAsync()
    {
        // The owner (a lab node) stops its process by pid itself.
        if (_owner is not null)
        {
            await _owner.DisposeAsync();
        }
        await Process.DisposeAsync();
    }

    public override string ToString() => Process.ToString();
}
