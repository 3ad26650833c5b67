using System.Text.RegularExpressions;
using CsCheck;
using Tandem.Resources.Agents;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class StatusTextPropertyTests
{
    // Heartbeat's shell patterns, transcribed independently: *[Nn][Oo][Tt] *[Rr]unning* → no; *[Rr]unning*|*OK* → yes.
    private static bool Model(string s) =>
        !Regex.IsMatch(s, "[Nn][Oo][Tt] *[Rr]unning") && (Regex.IsMatch(s, "[Rr]unning") || s.Contains("OK", StringComparison.Ordinal));

    [Fact]
    public void Text_rule_matches_the_shell_patterns() =>
        Gen.OneOf(Gen.String, Gen.OneOf<string>("running", "Not running", "not  Running", "OK", "ok", "NOT RUNNING", "is stopped", "RUNNING")
                .Array[1, 4].Select(a => string.Join(' ', a)))
            .Sample(s => Assert.Equal(Model(s), HeartbeatScriptAgent.StatusFromText(s) == AgentCode.Success));
}
