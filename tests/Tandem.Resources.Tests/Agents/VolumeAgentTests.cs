using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class VolumeAgentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class FakeVolumes : IVolumeControl
    {
        public bool Primary { get; set; }
        public string? Device { get; set; }
        public bool Outdated { get; set; }

        /// <summary>With <see cref="Outdated"/>, how many promotions are refused (-1: all).</summary>
        public int RefusalsLeft { get; set; } = -1;
        public List<string> Calls { get; } = [];

        public Task<VolumeActionResult> PromoteAsync(string volume, CancellationToken cancellationToken)
        {
            Calls.Add("promote " + volume);
            if (Outdated && RefusalsLeft-- != 0)
            {
                return Task.FromResult(new VolumeActionResult(false, "data is outdated"));
            }
            Primary = true;
            return Task.FromResult(new VolumeActionResult(true, "primary"));
        }

        public Task<VolumeActionResult> DemoteAsync(string volume, CancellationToken cancellationToken)
        {
            Calls.Add("demote " + volume);
            Primary = false;
            return Task.FromResult(new VolumeActionResult(true, "secondary"));
        }

        public bool IsPrimary(string volume) => Primary;

        public Task<VolumeActionResult> AttachDeviceAsync(string volume, CancellationToken cancellationToken)
        {
            Calls.Add("attach " + volume);
            Device = "/dev/loop7";
            return Task.FromResult(new VolumeActionResult(true, Device));
        }

        public Task<VolumeActionResult> DetachDeviceAsync(string volume, CancellationToken cancellationToken)
        {
            Calls.Add("detach " + volume);
            Device = null;
            return Task.FromResult(new VolumeActionResult(true, "detached"));
        }

        public string? AttachedDevice(string volume) => Device;
    }

    [Theory]
    [InlineData("drbddisk")]
    [InlineData("volume")]
    public async Task Promotes_attaches_then_detaches_demotes(string name)
    {
        var volumes = new FakeVolumes();
        var agent = new AgentFactory(volumes).Create(new ResourceSpec(name, name) { Class = AgentClass.BuiltIn, Arguments = ["r0"] }, new AgentContext("alice", "g1"));
        Assert.IsType<VolumeAgent>(agent);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StartAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        Assert.Equal(["promote r0", "attach r0", "detach r0", "demote r0"], volumes.Calls);
    }

    [Fact]
    public async Task Refused_promotion_fails_the_start()
    {
        var volumes = new FakeVolumes { Outdated = true };
        var spec = new ResourceSpec("drbddisk", "drbddisk") { Arguments = ["r0"], Parameters = new Dictionary<string, string> { ["promote_wait"] = "0" } };
        var agent = new VolumeAgent(spec, new AgentContext("alice", "g1"), volumes);
        var result = await agent.StartAsync(Ct);
        Assert.Equal(AgentCode.GenericError, result.Code);
        Assert.Contains("outdated", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("attach r0", volumes.Calls);
    }

    [Fact]
    public async Task Half_state_is_a_monitor_failure_and_missing_layer_is_not_installed()
    {
        var volumes = new FakeVolumes { Primary = true };
        var agent = new VolumeAgent(new ResourceSpec("drbddisk", "drbddisk") { Arguments = ["r0"] }, new AgentContext("alice", "g1"), volumes);
        Assert.Equal(AgentCode.GenericError, (await agent.MonitorAsync(Ct)).Code);
        var none = new VolumeAgent(new ResourceSpec("drbddisk", "drbddisk") { Arguments = ["r0"] }, new AgentContext("alice", "g1"), null);
        Assert.Equal(AgentCode.NotInstalled, (await none.StartAsync(Ct)).Code);
        var unnamed = new VolumeAgent(new ResourceSpec("drbddisk", "drbddisk"), new AgentContext("alice", "g1"), volumes);
        Assert.Equal(AgentCode.NotConfigured, (await unnamed.ValidateAsync(Ct)).Code);
    }

    [Fact]
    public async Task A_refused_promotion_is_retried_for_promote_wait_and_attach_no_skips_the_device()
    {
        // Refused three times, then promotable (the sync finished meanwhile).
        var volumes = new FakeVolumes { Outdated = true, RefusalsLeft = 3 };
        var spec = new ResourceSpec("drbddisk", "drbddisk")
        {
            Arguments = ["r0"],
            Parameters = new Dictionary<string, string> { ["promote_wait"] = "30s", ["attach"] = "no" },
        };
        var agent = new VolumeAgent(spec, new AgentContext("alice", "g1"), volumes);
        var result = await agent.StartAsync(Ct).WithinAsync(TimeSpan.FromSeconds(20), "the start to succeed once promotable");
        Assert.Equal(AgentCode.Success, result.Code);
        Assert.Equal(["promote r0", "promote r0", "promote r0", "promote r0"], volumes.Calls);
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);

        // Past promote_wait the start fails with the last reason.
        volumes.Primary = false;
        volumes.Outdated = true;
        spec = spec with { Parameters = new Dictionary<string, string> { ["promote_wait"] = "600ms", ["attach"] = "no" } };
        var failed = await new VolumeAgent(spec, new AgentContext("alice", "g1"), volumes).StartAsync(Ct)
            .WithinAsync(TimeSpan.FromSeconds(20), "the start to give up after promote_wait");
        Assert.Equal(AgentCode.GenericError, failed.Code);
        Assert.Contains("outdated", failed.Output, StringComparison.Ordinal);
        Assert.True(volumes.Calls.Count >= 6, "promotion is retried within promote_wait");

        spec = spec with { Parameters = new Dictionary<string, string> { ["promote_wait"] = "soon" } };
        Assert.Equal(AgentCode.NotConfigured, (await new VolumeAgent(spec, new AgentContext("alice", "g1"), volumes).StartAsync(Ct)).Code);
    }
}
