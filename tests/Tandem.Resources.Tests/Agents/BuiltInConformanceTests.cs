using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

/// <summary>Tandem's own agents against the sequence ocf-tester drives OCF agents through (§7.6).</summary>
public sealed class BuiltInConformanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task AssertConformsAsync(IResourceAgent agent)
    {
        async Task Expect(string step, Func<CancellationToken, Task<AgentResult>> action, AgentCode code)
        {
            var r = await action(Ct);
            Assert.True(r.Code == code, $"{agent.Describe} {step}: expected {code} ({(int)code}), got {r}");
        }

        await Expect("validate", agent.ValidateAsync, AgentCode.Success);
        await Expect("monitor on stopped", agent.MonitorAsync, AgentCode.NotRunning);
        await Expect("stop on stopped", agent.StopAsync, AgentCode.Success);
        await Expect("start", agent.StartAsync, AgentCode.Success);
        await Expect("monitor", agent.MonitorAsync, AgentCode.Success);
        await Expect("start again", agent.StartAsync, AgentCode.Success);
        await Expect("stop", agent.StopAsync, AgentCode.Success);
        await Expect("monitor after stop", agent.MonitorAsync, AgentCode.NotRunning);
        await Expect("stop again", agent.StopAsync, AgentCode.Success);
        await Expect("start after stop", agent.StartAsync, AgentCode.Success);
        await Expect("final stop", agent.StopAsync, AgentCode.Success);
    }

    [Fact]
    public Task Process_conforms() =>
        AssertConformsAsync(new ProcessAgent(new ResourceSpec("p", "process") { Arguments = ["sleep", "300"] }, new AgentContext("alice", "g1")));

    [Fact]
    public Task MailTo_conforms_even_when_the_relay_is_down() =>
        AssertConformsAsync(new MailToAgent(new ResourceSpec("MailTo", "MailTo") { Arguments = ["ops@example.com"] },
            new AgentContext("alice", "g1") { Notification = new NotificationSpec { SmtpRelay = "127.0.0.1:1" } }));

    [Fact]
    public async Task Filesystem_conforms()
    {
        if (!Support.Sh.IsRoot)
        {
            Assert.Skip("needs root (loop devices and mounts)");
        }
        using var loop = new Support.LoopDevice();
        await AssertConformsAsync(new FilesystemAgent(new ResourceSpec("fs", "Filesystem") { Arguments = [loop.Device, loop.MountPoint, "ext4"] },
            new AgentContext("alice", "g1")));
    }

    [Fact]
    public async Task Ocf_Dummy_conforms_through_the_same_sequence()
    {
        if (!File.Exists("/usr/lib/ocf/resource.d/heartbeat/Dummy"))
        {
            Assert.Skip("resource-agents is not installed");
        }
        using var dir = new Support.TempDir();
        await AssertConformsAsync(new OcfAgent(new ResourceSpec("d", "Dummy")
        {
            Class = AgentClass.Ocf,
            Parameters = new Dictionary<string, string> { ["state"] = dir.File("state") },
        }, new AgentContext("alice", "g1")));
    }
}
