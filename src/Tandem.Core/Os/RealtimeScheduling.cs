using System.Runtime.InteropServices;

namespace Tandem.Core.Os;

/// <summary>
/// Puts the whole process under the SCHED_RR real-time policy, as Heartbeat does for its heartbeat
/// process (ha.cf <c>realtime</c>, on by default there): on a machine whose CPUs are saturated by
/// ordinary processes, heartbeats are then still sent and received on time, so a busy node is not
/// mistaken for a dead one. The kernel's real-time throttling (by default 95% of each second)
/// keeps a runaway real-time thread from freezing the machine.
/// </summary>
public static partial class RealtimeScheduling
{
    private const int SchedRr = 2;

    /// <summary>
    /// Gives every thread of this process SCHED_RR at the middle priority (Heartbeat's default
    /// <c>rtprio</c>). Threads created later inherit the policy from their creator, so once every
    /// existing thread is real-time, so is every future one.
    /// </summary>
    /// <param name="error">Why it failed (typically: not root), or null.</param>
    /// <returns>True when every thread runs under SCHED_RR.</returns>
    public static bool TryEnableForProcess(out string? error)
    {
        int min = SchedGetPriorityMin(SchedRr), max = SchedGetPriorityMax(SchedRr);
        if (min < 0 || max < 0)
        {
            error = "SCHED_RR is not available on this kernel";
            return false;
        }
        var param = new SchedParam { Priority = (min + max) / 2 };
        // Twice over: a thread created by a not-yet-switched thread during the first pass is
        // caught by the second.
        for (var pass = 0; pass < 2; pass++)
        {
            string[] tasks;
            try
            {
                tasks = Directory.GetDirectories("/proc/self/task");
            }
            catch (IOException e)
            {
                error = "cannot list this process's threads: " + e.Message;
                return false;
            }
            foreach (var task in tasks)
            {
                if (!int.TryParse(Path.GetFileName(task), out var tid))
                {
                    continue;
                }
                if (SchedSetScheduler(tid, SchedRr, ref param) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == 3)
                    {
                        continue; // ESRCH: the thread ended meanwhile
                    }
                    error = errno == 1
                        ? "real-time scheduling needs root (or CAP_SYS_NICE)"
                        : $"sched_setscheduler failed with errno {errno}";
                    return false;
                }
            }
        }
        error = null;
        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SchedSetScheduler(int pid, int policy, ref SchedParam param);

    [LibraryImport("libc", EntryPoint = "sched_get_priority_min")]
    private static partial int SchedGetPriorityMin(int policy);

    [LibraryImport("libc", EntryPoint = "sched_get_priority_max")]
    private static partial int SchedGetPriorityMax(int policy);
}
