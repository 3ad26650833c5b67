using System.Runtime.InteropServices;

namespace Tandem.Lab.Processes;

/// <summary>kill(2): the harness signals the processes it started by pid, never by name.</summary>
public static partial class Signals
{
    /// <summary>SIGINT (Ctrl-C).</summary>
    public const int SIGINT = 2;

    /// <summary>SIGKILL: a power cut, nothing is released.</summary>
    public const int SIGKILL = 9;

    /// <summary>SIGTERM: an orderly stop.</summary>
    public const int SIGTERM = 15;

    /// <summary>SIGCONT: resumes a stopped process.</summary>
    public const int SIGCONT = 18;

    /// <summary>SIGSTOP: freezes a process (a hung node).</summary>
    public const int SIGSTOP = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> (a negative pid is a process group).</summary>
    /// <param name="pid">The process, or minus the process group.</param>
    /// <param name="signal">The signal number.</param>
    /// <returns>True when it was sent; false when no such process exists (any more).</returns>
    public static bool Send(int pid, int signal)
    {
        ArgumentOutOfRangeException.ThrowIfZero(pid);
        return Kill(pid, signal) == 0;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
