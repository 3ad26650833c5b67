using Tandem.Config;
using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

/// <summary>
/// The checker and the volume agent read a volume resource the same way: a native file that
/// `config check` accepts starts its volume, and a parameter the agent does not read is refused by
/// the checker with its line.
/// </summary>
public sealed class VolumeAgentConfigTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_documented_loopback_example_checks_and_its_volume_agent_starts()
    {
        var loaded = ConfigLoader.Load(new ConfigOptions { NativeConfig = Example("loopback.toml"), SkipKeyFileModeCheck = true, LocalNode = "alpha" });
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Diagnostics));
        var spec = loaded.Spec!.Groups.SelectMany(g => g.Resources).Single(VolumeResource.Is);
        var volumes = new RecordingVolumes();
        var agent = new AgentFactory(volumes).Create(spec, new AgentContext("alpha", "service"));
        var started = await agent.StartAsync(Ct);
        Assert.True(started.Code == AgentCode.Success, $"start: {started.Code} {started.Output}");
        Assert.Equal(["promote r0", "attach r0"], volumes.Calls);
    }

    [Fact]
    public void A_parameter_the_volume_agent_does_not_read_is_an_error_of_config_check_with_its_line()
    {
        var text = File.ReadAllText(Example("loopback.toml")).Replace("parameters = { volume = \"r0\" }", "parameters = { resource = \"r0\" }", StringComparison.Ordinal);
        Assert.Contains("resource = \"r0\"", text, StringComparison.Ordinal);
        var line = text[..text.IndexOf("resource = \"r0\"", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        var path = Path.Combine(Path.GetTempPath(), $"tandem-volparam-{Environment.ProcessId}.toml");
        try
        {
            File.WriteAllText(path, text);
            var loaded = ConfigLoader.Load(new ConfigOptions { NativeConfig = path, SkipKeyFileModeCheck = true, LocalNode = "alpha" });
            var error = Assert.Single(loaded.Diagnostics, d => d.Severity == Severity.Error);
            Assert.Equal((path, line), (error.File, error.Line));
            Assert.Contains("'resource'", error.Message, StringComparison.Ordinal);
            Assert.Contains("volume", error.Hint, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task The_agent_refuses_a_parameter_the_checker_refuses()
    {
        var spec = new ResourceSpec("r0", "volume") { Class = AgentClass.BuiltIn, Parameters = new Dictionary<string, string> { ["resource"] = "r0" } };
        Assert.NotNull(VolumeResource.CheckParameter("resource"));
        var volumes = new RecordingVolumes();
        var started = await new AgentFactory(volumes).Create(spec, new AgentContext("alpha", "service")).StartAsync(Ct);
        Assert.Equal(AgentCode.NotConfigured, started.Code);
        Assert.Contains("'resource'", started.Output, StringComparison.Ordinal);
        Assert.Empty(volumes.Calls);
    }

    private static string Example(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tandem.slnx")))
            {
                return Path.Combine(dir.FullName, "examples", "native", file);
            }
        }
        throw new InvalidOperationException("Tandem.slnx not found above " + AppContext.BaseDirectory);
    }

    private sealed class RecordingVolumes : IVolumeControl
    {
        private readonly HashSet<string> _primary = [];
        private readonly Dictionary<string, string> _devices = [];

        public List<string> Calls { get; } = [];

        public Task<VolumeActionResult> PromoteAsync(string volume, CancellationToken cancellationToken)
        {
            Calls.Add("promote " + volume);
            _primary.Add(volume);
            return Task.FromResult(new VolumeActionResult(true, "primary"));
        }

        public Task<VolumeActionResult> DemoteAsync(string volume, CancellationToken cancellationToken)
        {
            Calls.Add("demote " + volume);
            _primary.Remove(volume);
            return Task.FromResult(new VolumeActionResult(true, "secondary"));
        }

        public bool IsPrimary(string volume) => _primary.Contains(volume);

        public Task<VolumeActionResult> AttachDeviceAsync(string volume, CancellationToken cancellationToken)
        {
            Calls.Add("attach " + volume);
            _devices[volume] = "/dev/loop9";
            return Task.FromResult(new VolumeActionResult(true, "/dev/loop9"));
        }

        public Task<VolumeActionResult> DetachDeviceAsync(string volume, CancellationToken cancellationToken)
        {
            Calls.Add("detach " + volume);
            _devices.Remove(volume);
            return Task.FromResult(new VolumeActionResult(true, "detached"));
        }

        public string? AttachedDevice(string volume) => _devices.GetValueOrDefault(volume);
    }
}
