using System.Diagnostics;
using Xunit;

namespace Tandem.IntegrationTests.Infrastructure;

/// <summary>
/// A null-modem cable in software: socat joins two pseudo-terminals, whose paths are symlinked as
/// <see cref="A"/> and <see cref="B"/>. Skips the test when socat is not installed.
/// </summary>
internal sealed class PtyPair : IDisposable
{
    private readonly Process _socat;

    private PtyPair(Process socat, string a, string b)
    {
        _socat = socat;
        A = a;
        B = b;
    }

    /// <summary>The first end's path.</summary>
    public string A { get; }

    /// <summary>The second end's path.</summary>
    public string B { get; }

    /// <summary>Starts socat and waits until both ends exist.</summary>
    /// <param name="directory">Where the two symlinks go.</param>
    /// <returns>The pair.</returns>
    public static async Task<PtyPair> StartOrSkipAsync(string directory)
    {
        var a = Path.Combine(directory, "ttyA");
        var b = Path.Combine(directory, "ttyB");
        var psi = new ProcessStartInfo("socat") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-d", "-d", $"pty,raw,echo=0,link={a}", $"pty,raw,echo=0,link={b}" })
        {
            psi.ArgumentList.Add(arg);
        }
        Process socat;
        try
        {
            socat = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("socat is not installed (Debian package socat): it provides the serial line between the nodes");
            throw; // unreachable
        }
        // socat reports "starting data transfer loop" once both ptys exist.
        var ready = new TaskCompletionSource();
        socat.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("starting data transfer loop", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        socat.BeginErrorReadLine();
        socat.BeginOutputReadLine();
        await Task.WhenAny(ready.Task, socat.WaitForExitAsync()).WithinAsync(TimeSpan.FromSeconds(10), "socat to create the pty pair");
        if (socat.HasExited)
        {
            throw new InvalidOperationException($"socat exited with {socat.ExitCode} before creating the pty pair");
        }
        return new PtyPair(socat, a, b);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            _socat.Kill(entireProcessTree: true);
            _socat.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _socat.Dispose();
    }
}
