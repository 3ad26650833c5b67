using Tandem.Core.Model;
using Tandem.Fencing.Devices;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Fencing.Tests;

public sealed class FenceDeviceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-fence-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Script(string name, string body)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void Fence_agent_input_is_key_value_lines_with_action_and_plug()
    {
        var device = new FenceAgentDevice(new FenceDeviceSpec("ipmi", FenceKind.FenceAgent, "fence_ipmilan")
        {
            Parameters = new Dictionary<string, string>
            {
                ["ip"] = "10.0.0.9", ["username"] = "admin", ["password"] = "line1\naction=on",
                ["pcmk_host_map"] = "bob:2;carol:3", ["timeout"] = "5", ["pcmk_delay_max"] = "3",
            },
        });
        var input = device.StandardInput("bob").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("action=reboot", input[0]);
        Assert.Contains("plug=2", input);
        Assert.Contains("ip=10.0.0.9", input);
        Assert.Contains("username=admin", input);
        Assert.Contains("password=line1 action=on", input);
        Assert.DoesNotContain(input, l => l.StartsWith("timeout=", StringComparison.Ordinal) || l.StartsWith("pcmk_", StringComparison.Ordinal));
        Assert.Single(input, l => l.StartsWith("action=", StringComparison.Ordinal));
        Assert.Equal("/usr/sbin/fence_ipmilan", device.Program);
        Assert.Equal(TimeSpan.FromSeconds(5), device.Timeout);
    }

    [Fact]
    public async Task Fence_agent_protocol_against_a_script_reading_stdin()
    {
        var log = Path.Combine(_dir, "stdin");
        var agent = Script("fence_test", $"cat > {log}\ngrep -q '^plug=bob$' {log}\n");
        var device = new FenceAgentDevice(new FenceDeviceSpec("t", FenceKind.FenceAgent, agent)
        {
            Parameters = new Dictionary<string, string> { ["action"] = "off", ["ip"] = "127.0.0.1" },
        });
        var ok = await device.FenceAsync("bob", Ct);
        Assert.True(ok.Success, ok.Detail);
        Assert.Equal(["action=off", "plug=bob", "ip=127.0.0.1"], File.ReadAllLines(log));
        var refused = await device.FenceAsync("carol", Ct);
        Assert.False(refused.Success);
        Assert.Contains("exited 1", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Real_fence_dummy_powers_off_through_its_status_file()
    {
        if (!File.Exists("/usr/sbin/fence_dummy"))
        {
            Assert.Skip("fence-agents is not installed (no /usr/sbin/fence_dummy)");
        }
        var status = Path.Combine(_dir, "power");
        await File.WriteAllTextAsync(status, "on", Ct);
        var device = new FenceAgentDevice(new FenceDeviceSpec("dummy", FenceKind.FenceAgent, "fence_dummy")
        {
            Parameters = new Dictionary<string, string> { ["action"] = "off", ["type"] = "file", ["status_file"] = status, ["no_plug"] = "1", ["timeout"] = "30" },
        });
        var result = await device.FenceAsync("bob", Ct);
        Assert.True(result.Success, result.Detail);
        Assert.Equal("off", (await File.ReadAllTextAsync(status, Ct)).Trim());
    }

    [Fact]
    public async Task Missing_fence_agent_fails()
    {
        var device = new FenceAgentDevice(new FenceDeviceSpec("x", FenceKind.FenceAgent, "fence_does_not_exist"));
        var result = await device.FenceAsync("bob", Ct);
        Assert.False(result.Success);
        Assert.Contains("not installed", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Script_gets_action_and_node_and_its_exit_code_decides()
    {
        var log = Path.Combine(_dir, "calls");
        var script = Script("fence.sh", $"echo \"$1 $2 $TANDEM_FENCE_HOST\" >> {log}\n[ \"$2\" = bob ]\n");
        var device = new ScriptFenceDevice(new FenceDeviceSpec("s", FenceKind.Script, script) { Parameters = new Dictionary<string, string> { ["host"] = "pdu1" } });
        Assert.True((await device.FenceAsync("bob", Ct)).Success);
        Assert.False((await device.FenceAsync("carol", Ct)).Success);
        Assert.Equal(["reboot bob pdu1", "reboot carol pdu1"], File.ReadAllLines(log));
    }

    [Fact]
    public async Task A_hanging_script_times_out_as_a_failure()
    {
        var script = Script("hang.sh", "sleep 60\n");
        var device = new ScriptFenceDevice(new FenceDeviceSpec("s", FenceKind.Script, script) { Parameters = new Dictionary<string, string> { ["timeout"] = "0.3" } });
        var result = await device.FenceAsync("bob", Ct);
        Assert.False(result.Success);
        Assert.Contains("timed out", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Heartbeat_stonith_types_are_mapped_or_reported_unsupported()
    {
        var factory = new FenceDeviceFactory(new RecordingEventSink(), _dir);
        Assert.IsType<ManualFenceDevice>(factory.Create(new FenceDeviceSpec("stonith-meatware", FenceKind.Stonith, "meatware")));
        var unsupported = Assert.IsType<UnsupportedFenceDevice>(factory.Create(new FenceDeviceSpec("stonith-apcmaster", FenceKind.Stonith, "apcmaster")));
        Assert.Contains("fence_apc", unsupported.Reason, StringComparison.Ordinal);
        Assert.IsType<UnsupportedFenceDevice>(factory.Create(new FenceDeviceSpec("stonith-null", FenceKind.Stonith, "null")));
        // external/ssh is used when the cluster-glue plugin is installed (here: a stand-in in the plugin directory).
        Assert.IsType<UnsupportedFenceDevice>(factory.Create(new FenceDeviceSpec("stonith-external/ssh", FenceKind.Stonith, "external/ssh")));
        Directory.CreateDirectory(Path.Combine(_dir, "external"));
        Script("external/ssh", "exit 0\n");
        var ssh = Assert.IsType<ScriptFenceDevice>(factory.Create(new FenceDeviceSpec("stonith-external/ssh", FenceKind.Stonith, "external/ssh")
        {
            Parameters = new Dictionary<string, string> { ["params"] = "bob carol" },
        }));
        Assert.Equal("reset", ssh.Action);
        Assert.Equal("bob carol", ssh.Spec.Parameters["hostlist"]);
    }

    [Fact]
    public async Task External_stonith_plugin_gets_reset_and_its_configuration_in_the_environment()
    {
        var factory = new FenceDeviceFactory(null, _dir);
        Directory.CreateDirectory(Path.Combine(_dir, "external"));
        var log = Path.Combine(_dir, "plugin-calls");
        Script("external/ssh", $"echo \"$1 $2 $hostlist\" >> {log}\n");
        var device = factory.Create(new FenceDeviceSpec("stonith-external/ssh", FenceKind.Stonith, "external/ssh")
        {
            Parameters = new Dictionary<string, string> { ["params"] = "bob" },
        });
        Assert.True((await device.FenceAsync("bob", Ct)).Success);
        Assert.Equal(["reset bob bob"], File.ReadAllLines(log));
    }
}
