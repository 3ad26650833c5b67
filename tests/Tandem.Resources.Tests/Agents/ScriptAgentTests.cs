using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class ScriptAgentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A service whose state is a file; "stop" fails when already stopped, as many init scripts do.
    private static string LsbScript(string state) => $$"""
        case "$1" in
          start) touch {{state}}; exit 0 ;;
          stop) [ -f {{state}} ] || { echo "not running"; exit 1; }; rm -f {{state}}; exit 0 ;;
          status) if [ -f {{state}} ]; then echo "service is running"; exit 0; else echo "service is stopped"; exit 3; fi ;;
          *) exit 2 ;;
        esac
        """;

    [Fact]
    public async Task Lsb_script_status_codes_and_idempotent_stop()
    {
        using var dir = new TempDir();
        var state = dir.File("svc.state");
        var path = dir.Script("svc", LsbScript(state));
        var agent = new LsbAgent(new ResourceSpec("svc", "svc") { Class = AgentClass.Lsb, Parameters = new Dictionary<string, string> { ["path"] = path } },
            new AgentContext("alice", "g1"));

        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        var stopStopped = await agent.StopAsync(Ct);
        Assert.Equal(AgentCode.Success, stopStopped.Code);
        Assert.Equal(1, stopStopped.ExitCode);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
    }

    [Theory]
    [InlineData(0, AgentCode.Success)]
    [InlineData(1, AgentCode.GenericError)]
    [InlineData(2, AgentCode.GenericError)]
    [InlineData(3, AgentCode.NotRunning)]
    [InlineData(4, AgentCode.GenericError)]
    public void Lsb_status_mapping(int exit, AgentCode expected) => Assert.Equal(expected, LsbAgent.MapStatusCode(exit));

    [Theory]
    [InlineData("service is running", AgentCode.Success)]
    [InlineData("INFO: IPaddr Running OK", AgentCode.Success)]
    [InlineData("OK", AgentCode.Success)]
    [InlineData("service is not running", AgentCode.NotRunning)]
    [InlineData("NOT   RUNNING", AgentCode.NotRunning)]
    [InlineData("Not running", AgentCode.NotRunning)]
    [InlineData("stopped", AgentCode.NotRunning)]
    [InlineData("", AgentCode.NotRunning)]
    [InlineData("ok", AgentCode.NotRunning)]
    public void Heartbeat_text_status_rule(string output, AgentCode expected) => Assert.Equal(expected, HeartbeatScriptAgent.StatusFromText(output));

    [Fact]
    public async Task R1_script_gets_its_arguments_before_the_action_and_status_is_read_as_text()
    {
        using var dir = new TempDir();
        var state = dir.File("r1.state");
        // Exit codes lie (status always 0) on purpose: Heartbeat reads the text.
        var path = dir.Script("r1", $$"""
            echo "$@" >> {{dir.File("calls")}}
            case "$2" in
              start) echo "$1" > {{state}} ;;
              stop) rm -f {{state}} ;;
              status) if [ -f {{state}} ]; then echo "r1 $(cat {{state}}) running"; else echo "r1 is not running"; fi ;;
            esac
            exit 0
            """);
        var spec = new ResourceSpec("r1", "r1") { Arguments = ["arg1"], Parameters = new Dictionary<string, string> { ["path"] = path } };
        var agent = new HeartbeatScriptAgent(spec, new AgentContext("alice", "g1"));

        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        var status = await agent.MonitorAsync(Ct);
        Assert.Equal(AgentCode.Success, status.Code);
        Assert.Equal("r1 arg1 running", status.Output);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(["arg1 status", "arg1 start", "arg1 status", "arg1 stop", "arg1 status"], File.ReadAllLines(dir.File("calls")));
    }

    [Fact]
    public async Task R1_script_in_exit_code_mode()
    {
        using var dir = new TempDir();
        var path = dir.Script("r1", "echo running; exit 3\n");
        var agent = new HeartbeatScriptAgent(new ResourceSpec("r1", "r1")
        {
            Parameters = new Dictionary<string, string> { ["path"] = path, ["status"] = "exit-code" },
        }, new AgentContext("alice", "g1"));
        Assert.True(agent.UseExitCodes);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
    }

    [Fact]
    public async Task R1_script_is_found_in_resource_d_then_init_d()
    {
        using var dir = new TempDir();
        var resourceD = Directory.CreateDirectory(dir.File("resource.d")).FullName;
        var initD = Directory.CreateDirectory(dir.File("init.d")).FullName;
        var inInit = Path.Combine(initD, "svc");
        File.WriteAllText(inInit, "#!/bin/sh\necho OK\n");
        File.SetUnixFileMode(inInit, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var context = new AgentContext("alice", "g1") { ScriptDirectories = [resourceD, initD] };
        var agent = new HeartbeatScriptAgent(new ResourceSpec("svc", "svc"), context);
        Assert.Equal(inInit, agent.ProgramPath);
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);

        var inResource = Path.Combine(resourceD, "svc");
        File.WriteAllText(inResource, "#!/bin/sh\necho stopped\n");
        File.SetUnixFileMode(inResource, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Assert.Equal(inResource, new HeartbeatScriptAgent(new ResourceSpec("svc", "svc"), context).ProgramPath);
    }

    [Fact]
    public async Task A_script_that_leaves_a_daemon_holding_its_output_does_not_hang_the_action()
    {
        using var dir = new TempDir();
        var pidFile = dir.File("daemon.pid");
        var path = dir.Script("d", $"sleep 30 &\necho $! > {pidFile}\necho started\nexit 0\n");
        var agent = new LsbAgent(new ResourceSpec("d", "d") { Parameters = new Dictionary<string, string> { ["path"] = path }, StartTimeout = TimeSpan.FromSeconds(10) },
            new AgentContext("alice", "g1"));
        var result = await agent.StartAsync(Ct);
        Assert.Equal(AgentCode.Success, result.Code);
        Assert.False(result.TimedOut);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Sh.IsDead(pid), "a daemon started by a successful start must survive it");
        Sh.Run("kill", "-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
