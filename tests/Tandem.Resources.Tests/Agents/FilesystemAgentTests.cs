using System.Diagnostics;
using System.Globalization;
using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class FilesystemAgentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void NeedRoot()
    {
        if (!Sh.IsRoot)
        {
            Assert.Skip("needs root (loop devices and mounts)");
        }
    }

    [Fact]
    public async Task Builtin_mounts_monitors_and_unmounts_a_loop_device()
    {
        NeedRoot();
        using var loop = new LoopDevice();
        var agent = new FilesystemAgent(new ResourceSpec("fs", "Filesystem") { Class = AgentClass.BuiltIn, Arguments = [loop.Device, loop.MountPoint, "ext4"] },
            new AgentContext("alice", "g1"));
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        var start = await agent.StartAsync(Ct);
        Assert.Equal(AgentCode.Success, start.Code);
        Assert.Contains("e2fsck -p: 0", start.Output, StringComparison.Ordinal);
        Assert.True(FilesystemAgent.IsMounted(loop.MountPoint));
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        await File.WriteAllTextAsync(Path.Combine(loop.MountPoint, "data"), "kept", Ct);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        Assert.Equal("kept", await File.ReadAllTextAsync(Path.Combine(loop.MountPoint, "data"), Ct));
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
    }

    [Fact]
    public async Task Builtin_stop_of_a_busy_mount_point_stops_its_users()
    {
        NeedRoot();
        using var loop = new LoopDevice();
        var agent = new FilesystemAgent(new ResourceSpec("fs", "Filesystem") { Arguments = [loop.Device, loop.MountPoint, "ext4"], StopTimeout = TimeSpan.FromSeconds(15) },
            new AgentContext("alice", "g1"));
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);

        // One user holds a file open and ignores SIGTERM: it takes the SIGKILL step. Another sits in the directory.
        var stubborn = Start("/bin/sh", "-c", $"trap '' TERM; exec 3>{loop.MountPoint}/held; echo ready; while :; do sleep 1; done");
        var resident = Start("/bin/sh", "-c", "cd " + loop.MountPoint + "; echo ready; exec sleep 300");
        Assert.Equal("ready", await stubborn.StandardOutput.ReadLineAsync(Ct));
        Assert.Equal("ready", await resident.StandardOutput.ReadLineAsync(Ct));
        var users = FilesystemAgent.FindUsers(loop.MountPoint);
        Assert.Contains(stubborn.Id, users);
        Assert.Contains(resident.Id, users);
        Assert.DoesNotContain(Environment.ProcessId, users);
        Assert.NotEqual(0, Sh.Run("umount", loop.MountPoint).Code);

        var stop = await agent.StopAsync(Ct);
        Assert.Equal(AgentCode.Success, stop.Code);
        Assert.Contains("KILL", stop.Output, StringComparison.Ordinal);
        Assert.False(FilesystemAgent.IsMounted(loop.MountPoint));
        await stubborn.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await resident.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        stubborn.Dispose();
        resident.Dispose();
    }

    [Fact]
    public async Task Builtin_fscks_a_file_system_that_was_not_cleanly_unmounted()
    {
        NeedRoot();
        using var loop = new LoopDevice();
        // Mark the file system as not clean, as a crash would leave it.
        Sh.Must("debugfs", "-w", "-R", "ssv state 0", loop.Device);
        var agent = new FilesystemAgent(new ResourceSpec("fs", "Filesystem") { Arguments = [loop.Device, loop.MountPoint, "ext4"] }, new AgentContext("alice", "g1"));
        var start = await agent.StartAsync(Ct);
        Assert.Equal(AgentCode.Success, start.Code);
        Assert.Contains("e2fsck -p", start.Output, StringComparison.Ordinal);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Contains("clean", Sh.Must("dumpe2fs", "-h", loop.Device), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ocf_Filesystem_agent_on_a_loop_device()
    {
        NeedRoot();
        if (!File.Exists("/usr/lib/ocf/resource.d/heartbeat/Filesystem"))
        {
            Assert.Skip("resource-agents is not installed");
        }
        using var loop = new LoopDevice();
        var agent = new OcfAgent(new ResourceSpec("fs", "Filesystem")
        {
            Class = AgentClass.Ocf,
            Provider = "heartbeat",
            Parameters = new Dictionary<string, string> { ["device"] = loop.Device, ["directory"] = loop.MountPoint, ["fstype"] = "ext4" },
            StartTimeout = TimeSpan.FromSeconds(60),
            StopTimeout = TimeSpan.FromSeconds(60),
        }, new AgentContext("alice", "g1"));
        var probe = await agent.ProbeAsync(Ct);
        if (probe.Code == AgentCode.NotInstalled)
        {
            // Debian's agent needs modprobe (kmod) among others; test.sh installs it.
            Assert.Skip($"the OCF Filesystem agent cannot run here: {probe.Output}");
        }
        Assert.Equal(AgentCode.NotRunning, probe.Code);
        var start = await agent.StartAsync(Ct);
        Assert.True(start.Code == AgentCode.Success, start.ToString());
        Assert.True(FilesystemAgent.IsMounted(loop.MountPoint));
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.False(FilesystemAgent.IsMounted(loop.MountPoint));
    }

    private static Process Start(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Builtin_handles_a_mount_point_with_a_space()
    {
        NeedRoot();
        using var loop = new LoopDevice("mount point");
        var agent = new FilesystemAgent(new ResourceSpec("fs", "Filesystem") { Parameters = new Dictionary<string, string> { ["device"] = loop.Device, ["directory"] = loop.MountPoint + "/" } },
            new AgentContext("alice", "g1"));
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
    }

    [Fact]
    public void Proc_mounts_is_read()
    {
        Assert.True(FilesystemAgent.IsMounted("/proc"));
        Assert.False(FilesystemAgent.IsMounted("/no/such/mount/" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture)));
    }
}
