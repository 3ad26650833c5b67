using System.Diagnostics;
using System.Text;

namespace Tandem.Core.Os;

/// <summary>
/// Runs a program to its end in a process group of its own, with a timeout that kills the whole
/// group: the one process runner of Tandem (resource agents, fence agents, DRBD handlers, the
/// attach tools nbd-client, losetup and nsenter).
/// </summary>
/// <remarks>
/// The program is started through <c>setsid</c> so that its process id is its group id, and its
/// output goes to a temporary file instead of a pipe: a script that starts a daemon leaves the
/// daemon holding its stdout, and waiting for the end of a pipe would then wait for the daemon.
/// </remarks>
public sealed class ChildProcessRunner
{
    private const string SetSid = "/usr/bin/setsid";
    private readonly TimeProvider _time;

    /// <summary>Creates a runner.</summary>
    /// <param name="time">The clock the timeouts run on.</param>
    public ChildProcessRunner(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>How long to wait for a killed program to disappear before reporting anyway.</summary>
    /// <value>5 s.</value>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A runner on the system clock.</summary>
    public static ChildProcessRunner Default { get; } = new();

    /// <summary>Runs a program to its end, its timeout, or cancellation.</summary>
    /// <param name="request">What to run.</param>
    /// <param name="cancellationToken">Kills the program's group when cancelled.</param>
    /// <returns>How it ended.</returns>
    public async Task<ProcessOutcome> RunAsync(ProcessRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var outFile = Path.Combine(Path.GetTempPath(), $"tandem-agent-{Guid.NewGuid():N}.out");
        var errFile = outFile + ".err";
        var psi = new ProcessStartInfo(File.Exists(SetSid) ? SetSid : "setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        // sh redirects, then execs the program: $0 is the output file, "$@" the program and its arguments.
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(!request.CaptureOutput ? "exec \"$@\""
            : request.SeparateErrorOutput ? "exec \"$@\" >\"$0\" 2>\"$0.err\""
            : "exec \"$@\" >\"$0\" 2>&1");
        psi.ArgumentList.Add(outFile);
        psi.ArgumentList.Add(request.FileName);
        foreach (var a in request.Arguments)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in request.Environment)
        {
            psi.Environment[k] = v;
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new ProcessOutcome(null, "") { StartError = ex.Message };
        }

        using (process)
        {
            var group = process.Id;
            try
            {
                try
                {
                    if (request.StandardInput is not null)
                    {
                        await process.StandardInput.WriteAsync(request.StandardInput).ConfigureAwait(false);
                    }
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The program exited without reading its input; its exit code says the rest.
                }

                using var timeout = new CancellationTokenSource(request.Timeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
                try
                {
                    await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    ProcessSignals.KillGroup(group, ProcessSignals.SigKill);
                    try
                    {
                        process.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                        // Already gone.
                    }
                    // A process stuck in the kernel (a hung mount, say) does not die even of SIGKILL:
                    // report the timeout anyway, so that the caller can escalate instead of hanging too.
                    using (var reap = new CancellationTokenSource(KillGrace, _time))
                    {
                        try
                        {
                            await process.WaitForExitAsync(reap.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            // Left to the kernel; the outcome below says it was killed.
                        }
                    }
                    var output = ReadOutput(outFile, request.MaxOutputChars);
                    var killedError = ReadOutput(errFile, request.MaxOutputChars);
                    return cancellationToken.IsCancellationRequested
                        ? new ProcessOutcome(null, output) { Cancelled = true, Error = killedError }
                        : new ProcessOutcome(null, output) { TimedOut = true, Error = killedError };
                }
                return new ProcessOutcome(process.ExitCode, ReadOutput(outFile, request.MaxOutputChars)) { Error = ReadOutput(errFile, request.MaxOutputChars) };
            }
            finally
            {
                try
                {
                    File.Delete(outFile);
                    File.Delete(errFile);
                }
                catch (IOException)
                {
                    // A temporary file left behind is harmless.
                }
            }
        }
    }

    /// <summary>Whether a program is installed: in PATH, or in the sbin directories a non-login root shell may lack.</summary>
    /// <param name="program">The program's file name.</param>
    /// <returns>True when found.</returns>
    public static bool IsInstalled(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Concat(["/usr/sbin", "/sbin"])
            .Any(d => File.Exists(Path.Combine(d, program)));

    private static string ReadOutput(string path, int max)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[Math.Min(stream.Length, max * 4L)];
            var n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var text = Encoding.UTF8.GetString(buffer, 0, n);
            return (text.Length > max ? text[..max] : text).Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
