using System.Diagnostics;
using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Resources.Agents;

/// <summary>
/// Built-in <c>process</c>: a command run as a supervised child in a process group of its own.
/// Monitor is "the child is alive"; stop sends SIGTERM to the group, then SIGKILL at the stop timeout.
/// </summary>
/// <remarks>
/// The command is <c>Parameters["command"]</c> (run by <c>/bin/sh -c</c>) or the positional arguments
/// (program, then its arguments), with <c>TANDEM_NODE</c>, <c>TANDEM_GROUP</c> and <c>TANDEM_RESOURCE</c>
/// in its environment. Output goes to <c>Parameters["log"]</c> or is discarded. The child
/// belongs to this agent: a daemon restart loses it, so the daemon must stop groups before it exits.
/// </remarks>
public sealed class ProcessAgent : BuiltInAgent
{
    private readonly Lock _lock = new();
    private Process? _child;
    private int _exitCode;
    private bool _everExited;

    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    public ProcessAgent(ResourceSpec spec, AgentContext context, TimeProvider? time = null)
        : base(spec, context, time)
    {
    }

    /// <summary>The child's process id (its group id too), or null when not running.</summary>
    public int? ProcessId
    {
        get
        {
            lock (_lock)
            {
                return _child is { HasExited: false } c ? c.Id : null;
            }
        }
    }

    /// <inheritdoc />
    public override Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Command() is null
            ? new AgentResult(AgentCode.NotConfigured, "process needs Parameters[\"command\"] or a program as its first argument")
            : AgentResult.Ok());

    /// <inheritdoc />
    protected override async Task<AgentResult> StartCoreAsync(CancellationToken cancellationToken)
    {
        var started = Launch();
        if (started.Succeeded && _child is { } child)
        {
            // setsid runs a moment after fork: until then the group does not exist and a stop's
            // group signal would miss the child. Wait for it (an OS fact, so on the real clock).
            for (var i = 0; i < 2000 && !child.HasExited && ProcessGroupOf(child.Id) != child.Id; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }
        return started;
    }

    private static int ProcessGroupOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // pid (comm) state ppid pgrp ...; comm may contain spaces, so count from the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private AgentResult Launch()
    {
        var command = Command();
        if (command is null)
        {
            return new AgentResult(AgentCode.NotConfigured, "process needs a command");
        }
        lock (_lock)
        {
            if (_child is { HasExited: false })
            {
                return AgentResult.Ok("already running");
            }
            _child?.Dispose();
            var log = Spec.Parameters.TryGetValue("log", out var l) ? l : "/dev/null";
            var psi = new ProcessStartInfo("/usr/bin/setsid") { UseShellExecute = false, RedirectStandardInput = true };
            psi.ArgumentList.Add("/bin/sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("exec \"$@\" >>\"$0\" 2>&1 </dev/null");
            psi.ArgumentList.Add(log);
            foreach (var part in command)
            {
                psi.ArgumentList.Add(part);
            }
            // Where it runs, for commands shared by every node's configuration.
            psi.Environment["TANDEM_NODE"] = Context.NodeName;
            psi.Environment["TANDEM_GROUP"] = Context.GroupName;
            psi.Environment["TANDEM_RESOURCE"] = Spec.Id;
            try
            {
                _child = Process.Start(psi);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                return new AgentResult(AgentCode.NotInstalled, $"could not start {command[0]}: {ex.Message}");
            }
            _child?.StandardInput.Close();
            return _child is null ? new AgentResult(AgentCode.GenericError, "no process started") : AgentResult.Ok($"started pid {_child.Id}");
        }
    }

    /// <inheritdoc />
    protected override async Task<AgentResult> StopCoreAsync(CancellationToken cancellationToken)
    {
        Process? child;
        lock (_lock)
        {
            child = _child;
        }
        if (child is null)
        {
            return AgentResult.Ok("not running");
        }
        var group = child.Id;
        if (!child.HasExited)
        {
            ProcessSignals.KillGroup(group, ProcessSignals.SigTerm);
            ProcessSignals.KillProcess(group, ProcessSignals.SigTerm);
            // Grace: half the stop timeout for SIGTERM, the rest for SIGKILL to take effect.
            using var grace = new CancellationTokenSource(Spec.StopTimeout / 2, Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(grace.Token, cancellationToken);
            try
            {
                await child.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ProcessSignals.KillGroup(group, ProcessSignals.SigKill);
                await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        // Anything the child left in its group goes with it.
        ProcessSignals.KillGroup(group, ProcessSignals.SigKill);
        lock (_lock)
        {
            _exitCode = child.ExitCode;
            _everExited = true;
            _child = null;
        }
        child.Dispose();
        return AgentResult.Ok("stopped");
    }

    /// <inheritdoc />
    protected override Task<AgentResult> MonitorCoreAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_child is null)
            {
                return Task.FromResult(new AgentResult(AgentCode.NotRunning, _everExited ? $"stopped (last exit {_exitCode})" : "not started"));
            }
            if (_child.HasExited)
            {
                return Task.FromResult(new AgentResult(AgentCode.GenericError, $"the process {_child.Id} died (exit {_child.ExitCode})"));
            }
            return Task.FromResult(AgentResult.Ok($"pid {_child.Id} alive"));
        }
    }

    private List<string>? Command()
    {
        if (Spec.Parameters.TryGetValue("command", out var c) && !string.IsNullOrWhiteSpace(c))
        {
            return ["/bin/sh", "-c", c];
        }
        return Spec.Arguments.Count > 0 ? [.. Spec.Arguments] : null;
    }
}
