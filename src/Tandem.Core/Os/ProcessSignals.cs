using System.Runtime.InteropServices;

namespace Tandem.Core.Os;

/// <summary>Signals to processes and process groups (kill(2)), which .NET exposes only for one process and SIGKILL.</summary>
public static partial class ProcessSignals
{
    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends a signal to every process of a group.</summary>
    /// <param name="processGroup">The group id (the pid of a program started through setsid).</param>
    /// <param name="signal">The signal number.</param>
    /// <returns>False when the group no longer exists (or the id is 0 or 1, which would mean every process).</returns>
    public static bool KillGroup(int processGroup, int signal) => processGroup > 1 && Kill(-processGroup, signal) == 0;

    /// <summary>Sends a signal to one process.</summary>
    /// <param name="pid">The process id.</param>
    /// <param name="signal">The signal number.</param>
    /// <returns>False when it no longer exists (or the id is 0 or 1).</returns>
    public static bool KillProcess(int pid, int signal) => pid > 1 && Kill(pid, signal) == 0;

    /// <summary>True when a process group still has members.</summary>
    /// <param name="processGroup">The group id.</param>
    /// <returns>Whether a signal could reach it.</returns>
    public static bool GroupExists(int processGroup) => processGroup > 1 && Kill(-processGroup, 0) == 0;
}
