using System.Diagnostics;
using Xunit;

namespace Tandem.IntegrationTests.Volumes;

/// <summary>Runs the real tools (nbdinfo, qemu-io, mkfs.ext4, ...) and skips when they are missing.</summary>
internal static class ExternalTool
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
                Assert.Skip($"{program} is not installed (apt-get install libnbd-bin qemu-utils e2fsprogs)");
            }
        }
    }

    public static bool Exists(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin"])
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));

    public static async Task<Result> RunAsync(string program, params string[] arguments)
    {
        var timeout = TimeSpan.FromSeconds(60);
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
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s; output: {await output} {await error}");
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
