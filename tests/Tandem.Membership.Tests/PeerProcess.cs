using System.Diagnostics;

namespace Tandem.Membership.Tests;

/// <summary>A membership node in its own process (tests/Tandem.Membership.Node), so a test can freeze or kill it.</summary>
internal sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = [];

    private PeerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (_lock)
            {
                _lines.Add(e.Data);
                foreach (var w in _waiters.Where(w => w.Match(e.Data)).ToList())
                {
                    _waiters.Remove(w);
                    w.Done.TrySetResult(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public IReadOnlyList<string> Lines
    {
        get { lock (_lock) { return [.. _lines]; } }
    }

    public static async Task<PeerProcess> StartAsync(string node, string stateDir, int keepaliveMs, int deadtimeMs, params string[] links)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Tandem.Membership.Node.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, node, stateDir, keepaliveMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     deadtimeMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "s3cret" }.Concat(links))
        {
            psi.ArgumentList.Add(a);
        }
        var peer = new PeerProcess(Process.Start(psi)!);
        await peer.WaitForLineAsync(l => l == "READY", "READY", TimeSpan.FromSeconds(30));
        return peer;
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan deadline)
    {
        Task<string> task;
        lock (_lock)
        {
            var existing = _lines.FirstOrDefault(match);
            if (existing is not null)
            {
                return existing;
            }
            var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, tcs));
            task = tcs.Task;
        }
        try
        {
            return await task.WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"peer process printed no {what} within {deadline.TotalSeconds} s; output: {string.Join(" / ", Lines)}");
        }
    }

    public void Signal(string signal) => NetnsRun("kill", $"-{signal} {Pid}");

    private static void NetnsRun(string program, string args) => Netns.NetworkNamespacePair.Run(program, args);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { Signal("CONT"); } catch (InvalidOperationException) { }
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
