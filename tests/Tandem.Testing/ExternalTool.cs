using System.Diagnostics;
using Xunit;

namespace Tandem.Testing;

/// <summary>Runs real tools (nbdinfo, nbdcopy, qemu-io, mkfs.ext4, ...) and skips the test when one is missing.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;
    }

    public static void RequireOrSkip(params string[] programs)
    {
        foreach (var program in programs)
        {
            if (!Exists(program))
            {
                Assert.Skip($"{program} is not installed (./test.sh installs the Debian packages the tests use when it runs as root)");
            }
        }
    }

    public static bool Exists(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin"])
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));

    public static async Task<Result> RunAsync(string program, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s; output: {await output} {await error}");
        }
        return new Result(process.ExitCode, await output, await error);
    }

    public static async Task<Result> RunOkAsync(string program, params string[] arguments)
    {
        var result = await RunAsync(program, arguments);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.All}");
        return result;
    }
}
