using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class OcfAgentTests
{
    private const string DummyPath = "/usr/lib/ocf/resource.d/heartbeat/Dummy";
    private static readonly AgentContext s_context = new("alice", "g1");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dummy_start_monitor_stop_monitor_gives_the_OCF_codes()
    {
        if (!File.Exists(DummyPath))
        {
            Assert.Skip("resource-agents is not installed (no ocf:heartbeat:Dummy)");
        }
        using var dir = new TempDir();
        var state = dir.File("dummy.state");
        var agent = new OcfAgent(new ResourceSpec("dummy1", "Dummy") { Class = AgentClass.Ocf, Provider = "heartbeat",
            Parameters = new Dictionary<string, string> { ["state"] = state } }, s_context);

        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotRunning, (await agent.ProbeAsync(Ct)).Code);
        var start = await agent.StartAsync(Ct);
        Assert.Equal(AgentCode.Success, start.Code);
        Assert.Equal(0, start.ExitCode);
        Assert.True(File.Exists(state), "Dummy writes its state file on start");
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.ValidateAsync(Ct)).Code);
        var meta = await agent.MetaDataAsync(Ct);
        Assert.Equal(AgentCode.Success, meta.Code);
        Assert.Contains("<resource-agent name=\"Dummy\"", meta.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_carries_OCF_and_Pacemaker_variables()
    {
        var agent = new OcfAgent(new ResourceSpec("web", "apache") { Class = AgentClass.Ocf,
            Parameters = new Dictionary<string, string> { ["configfile"] = "/etc/apache2/apache2.conf" },
            MonitorInterval = TimeSpan.FromSeconds(10) }, s_context);
        var env = agent.Environment("monitor", TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10));
        Assert.Equal("/usr/lib/ocf", env["OCF_ROOT"]);
        Assert.Equal("1", env["OCF_RA_VERSION_MAJOR"]);
        Assert.Equal("web", env["OCF_RESOURCE_INSTANCE"]);
        Assert.Equal("heartbeat", env["OCF_RESOURCE_PROVIDER"]);
        Assert.Equal("/etc/apache2/apache2.conf", env["OCF_RESKEY_configfile"]);
        Assert.Equal("20000", env["OCF_RESKEY_CRM_meta_timeout"]);
        Assert.Equal("10000", env["OCF_RESKEY_CRM_meta_interval"]);
        Assert.Equal("monitor", env["OCF_RESKEY_CRM_meta_name"]);
        Assert.Equal("alice", env["OCF_RESKEY_CRM_meta_on_node"]);
    }

    [Theory]
    [InlineData(0, AgentCode.Success)]
    [InlineData(1, AgentCode.GenericError)]
    [InlineData(5, AgentCode.NotInstalled)]
    [InlineData(6, AgentCode.NotConfigured)]
    [InlineData(7, AgentCode.NotRunning)]
    [InlineData(8, AgentCode.RunningPromoted)]
    [InlineData(190, AgentCode.Degraded)]
    [InlineData(42, AgentCode.GenericError)]
    [InlineData(255, AgentCode.GenericError)]
    public void Exit_codes_map_as_section_7_4(int exit, AgentCode expected) => Assert.Equal(expected, OcfAgent.MapExitCode(exit));

    [Fact]
    public async Task A_missing_agent_is_not_installed()
    {
        var agent = new OcfAgent(new ResourceSpec("x", "NoSuchAgent") { Class = AgentClass.Ocf }, s_context);
        Assert.Equal(AgentCode.NotInstalled, (await agent.StartAsync(Ct)).Code);
    }

    [Fact]
    public async Task Timeout_kills_the_whole_process_group_and_is_reported()
    {
        using var dir = new TempDir();
        var pidFile = dir.File("child.pid");
        // An agent that starts a grandchild and then hangs: both must die at the timeout.
        var root = dir.File("ocf");
        Directory.CreateDirectory(Path.Combine(root, "resource.d", "test"));
        var script = Path.Combine(root, "resource.d", "test", "Slow");
        File.WriteAllText(script, $"#!/bin/sh\nsleep 60 &\necho $! > {pidFile}\nwait\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var agent = new OcfAgent(new ResourceSpec("slow", "Slow") { Class = AgentClass.Ocf, Provider = "test", StartTimeout = TimeSpan.FromMilliseconds(500) },
            new AgentContext("alice", "g1") { OcfRoot = root });

        var started = DateTime.UtcNow;
        var result = await agent.StartAsync(Ct);
        Assert.True(result.TimedOut, $"expected a timeout, got {result}");
        Assert.Equal(AgentCode.GenericError, result.Code);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the timeout did not end the action promptly");
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Sh.IsDead(pid), $"the grandchild {pid} survived the timeout");
    }
}
