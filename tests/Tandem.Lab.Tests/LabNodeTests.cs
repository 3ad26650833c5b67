using Tandem.Lab.Processes;
using Xunit;

namespace Tandem.Lab.Tests;

/// <summary>
/// A node whose "tandem" is a small python program that says READY=1 on the notify socket the way
/// the daemon does (or does not): the lab's start, readiness, stop and cleanup without a cluster.
/// </summary>
public sealed class LabNodeTests : IDisposable
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);
    private readonly string _work = Directory.CreateTempSubdirectory("tandem-lab-node-").FullName;

    private static TandemCommand Fake(string behaviour) => new("/usr/bin/python3", ["-c", """
        import os, socket, sys, time
        behaviour = sys.argv[1]
        if behaviour == "exit":
            print("cannot start: told to fail", flush=True)
            sys.exit(3)
        if behaviour == "ready":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(b"STATUS=starting", os.environ["NOTIFY_SOCKET"])
            s.sendto(b"READY=1\nSTATUS=running", os.environ["NOTIFY_SOCKET"])
        print("args: " + " ".join(sys.argv[2:]), flush=True)
        time.sleep(600)
        """, behaviour]);

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}");

    [Fact]
    public async Task A_ready_node_is_stopped_by_pid_when_the_cluster_is_disposed()
    {
        int pid;
        await using (var cluster = new LabCluster(_work, Fake("ready")))
        {
            var node = cluster.Add(new LabNodeOptions("alpha", Path.Combine(_work, "alpha")) { ConfigArguments = ["--config", "/x.toml"], DaemonArguments = ["--no-realtime"] });
            await cluster.StartAsync(Soon, TestContext.Current.CancellationToken);
            pid = node.Pid;
            Assert.True(Alive(pid));
            Assert.Equal(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(node.PidFile));
            var line = await node.Process!.WaitForLineAsync("args:", Soon, "the fake daemon's arguments", TestContext.Current.CancellationToken);
            Assert.Equal($"args: daemon --config /x.toml --node alpha --state-dir {node.StateDirectory} --run-dir {node.RunDirectory} --no-realtime", line);
        }

        Assert.False(Alive(pid), $"the node's process {pid} outlived the cluster");
    }

    [Fact]
    public async Task A_daemon_that_exits_before_it_is_ready_is_named_with_its_exit_code_and_output()
    {
        await using var node = new LabNode(Fake("exit"), new LabNodeOptions("alpha", Path.Combine(_work, "alpha")));

        var e = await Assert.ThrowsAsync<LabException>(() => node.StartAsync(Soon, TestContext.Current.CancellationToken));

        Assert.Contains("alpha's daemon exited with code 3 before it was ready", e.Message, StringComparison.Ordinal);
        Assert.Contains("cannot start: told to fail", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_that_never_reports_ready_fails_the_wait_by_name_and_is_killed_on_dispose()
    {
        var node = new LabNode(Fake("silent"), new LabNodeOptions("alpha", Path.Combine(_work, "alpha")));
        int pid;
        try
        {
            var e = await Assert.ThrowsAsync<LabTimeoutException>(() => node.StartAsync(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken));
            pid = node.Pid;
            Assert.StartsWith($"waited 0.5 s for alpha's daemon (pid {pid}) to report ready (READY=1), in vain", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await node.DisposeAsync();
        }

        Assert.False(Alive(pid));
    }

    [Fact]
    public async Task A_power_cut_kills_the_daemon_and_the_other_processes_of_the_node_at_once()
    {
        await using var node = new LabNode(Fake("ready"), new LabNodeOptions("alpha", Path.Combine(_work, "alpha")));
        await node.StartAsync(Soon, TestContext.Current.CancellationToken);
        await using var service = LabProcess.Start(["sleep", "600"]);

        await node.PowerCutAsync([service.Pid], Soon, TestContext.Current.CancellationToken);
        await service.WaitForExitAsync(Soon, TestContext.Current.CancellationToken);

        Assert.Equal(128 + Signals.SIGKILL, node.Process!.ExitCode);
        Assert.False(node.IsRunning);
        Assert.Equal(128 + Signals.SIGKILL, service.ExitCode);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
