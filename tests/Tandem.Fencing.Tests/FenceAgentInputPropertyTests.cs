using CsCheck;
using Tandem.Core.Model;
using Tandem.Fencing.Devices;
using Xunit;

namespace Tandem.Fencing.Tests;

public sealed class FenceAgentInputPropertyTests
{
    [Fact]
    public void No_parameter_value_can_add_a_line_or_a_second_action() =>
        Gen.Dictionary(Gen.String[Gen.Char["abcdefgh_"], 1, 8], Gen.String)[0, 6].Select(Gen.String, (d, node) => (d, node)).Sample(t =>
        {
            var (parameters, node) = t;
            var device = new FenceAgentDevice(new FenceDeviceSpec("d", FenceKind.FenceAgent, "fence_x") { Parameters = parameters });
            var lines = device.StandardInput(node.ReplaceLineEndings(" ")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var expected = 1 + (parameters.ContainsKey("plug") || parameters.ContainsKey("port") || parameters.ContainsKey("no_plug") ? 0 : 1)
                + parameters.Keys.Count(k => k is not ("timeout" or "pcmk_host_map" or "no_plug" or "action"));
            Assert.Equal(expected, lines.Length);
            Assert.Single(lines, l => l.StartsWith("action=", StringComparison.Ordinal));
        });
}
