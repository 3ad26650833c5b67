using System.Runtime.InteropServices;

namespace Tandem.Resources.Processes;

/// <summary>The few libc calls .NET does not expose: signals to process groups.</summary>
internal static partial class NativeMethods
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends a signal to every process of a group; false when the group no longer exists.</summary>
    public static bool KillGroup(int processGroup, int signal) => processGroup > 1 && Kill(-processGroup, signal) == 0;

    /// <summary>Sends a signal to one process; false when it no longer exists.</summary>
    public static bool KillProcess(int pid, int signal) => pid > 1 && Kill(pid, signal) == 0;

    /// <summary>True when a process group still has members.</summary>
    public static bool GroupExists(int processGroup) => processGroup > 1 && Kill(-processGroup, 0) == 0;
}
