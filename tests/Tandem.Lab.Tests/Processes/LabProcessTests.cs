using Tandem.Lab.Processes;
using Xunit;

namespace Tandem.Lab.Tests.Processes;

public sealed class LabProcessTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}");

    [Fact]
    public async Task Dispose_kills_a_running_process_by_its_pid()
    {
        var process = LabProcess.Start(["sleep", "600"]);
        var pid = process.Pid;
        Assert.True(Alive(pid));

        await process.DisposeAsync();

        Assert.False(Alive(pid), $"pid {pid} still exists after dispose");
    }

    [Fact]
    public async Task A_disposed_process_still_tells_its_pid_and_exit_and_a_second_dispose_does_nothing()
    {
        var process = LabProcess.Start(["sh", "-c", "exit 5"]);
        await process.WaitForExitAsync(Soon, TestContext.Current.CancellationToken);
        var pid = process.Pid;

        await process.DisposeAsync();
        await process.DisposeAsync();

        Assert.Equal(pid, process.Pid);
        Assert.True(process.HasExited);
        Assert.Equal(5, process.ExitCode);
        await process.Exited.WaitAsync(Soon, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_line_is_awaited_and_an_exit_without_it_is_named()
    {
        await using var process = LabProcess.Start(["sh", "-c", "echo one; echo two >&2; exit 3"]);

        Assert.Equal("two", await process.WaitForLineAsync("tw", Soon, "the second line", TestContext.Current.CancellationToken));
        var e = await Assert.ThrowsAsync<LabException>(() => process.WaitForLineAsync("three", Soon, "the third line", TestContext.Current.CancellationToken));

        Assert.Contains("the third line: `sh -c", e.Message, StringComparison.Ordinal);
        Assert.Contains("exited with code 3 before printing \"three\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_that_outlives_its_deadline_is_killed_and_named()
    {
        var e = await Assert.ThrowsAsync<LabTimeoutException>(() => LabProcess.RunAsync(["sleep", "600"], TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken));

        Assert.StartsWith("waited 0.3 s for `sleep 600` (pid ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_returns_the_exit_code_and_the_output()
    {
        await using var run = await LabProcess.RunAsync(["sh", "-c", "echo \"$LAB_TEST\"; exit 4"], Soon, TestContext.Current.CancellationToken,
            new Dictionary<string, string?> { ["LAB_TEST"] = "hello" });

        Assert.Equal(4, run.ExitCode);
        Assert.Equal("hello", run.Stdout);
    }

    [Fact]
    public void A_tandem_assembly_runs_under_the_dotnet_host()
    {
        var command = TandemCommand.FromAssembly("/opt/tandem/tandem.dll");

        Assert.Equal([command.FileName, "/opt/tandem/tandem.dll", "status", "--json"], command.CommandLine(["status", "--json"]));
    }
}
