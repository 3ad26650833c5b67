using System.Diagnostics;
using System.Text;
using Xunit;
using Tandem.Config.Classic.Drbd;
using static Tandem.Config.Tests.Classic.Drbd.DrbdTestHelpers;

namespace Tandem.Config.Tests.Classic.Drbd;

/// <summary>Malformed input of every kind gets errors, never an exception, a stack overflow or a hang.</summary>
public class DrbdRobustnessTests
{
    private static DiagnosticBag Run(string text)
    {
        var watch = Stopwatch.StartNew();
        var (_, bag) = Parse(text);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"parsing took {watch.Elapsed}");
        foreach (var d in bag.Items)
        {
            Assert.True(d.Line >= 0 && d.Column >= 0);
            Assert.False(string.IsNullOrEmpty(d.ToString()));
        }
        return bag;
    }

    [Fact]
    public void Ten_thousand_nested_braces()
    {
        var bag = Run(new string('{', 10_000) + new string('}', 10_000));
        Assert.True(bag.HasErrors);
        var bag2 = Run("resource r0 " + string.Concat(Enumerable.Repeat("on a ", 10_000)) + new string('{', 10_000));
        Assert.Contains(bag2.Items, d => d.Code == DrbdCodes.UnbalancedBraces);
        var bag3 = Run(string.Concat(Enumerable.Repeat("resource r0 { ", 10_000)));
        Assert.Single(bag3.Items, d => d.Code == DrbdCodes.NestingTooDeep);
    }

    [Fact]
    public void Unterminated_braces_and_strings()
    {
        var bag = Run("resource r0 {\n  on alpha {\n");
        var d = Assert.Single(bag.Items, x => x.Code == DrbdCodes.UnbalancedBraces);
        Assert.Equal(2, d.Line);
        var s = Run("resource r0 {\n handlers { split-brain \"echo ; }\n}\n");
        Assert.Equal(2, s.Single(DrbdCodes.UnterminatedString).Line);
        Run("\"");
        Run("\"\\");
        Run("#");
        Run("}}}}");
    }

    [Fact]
    public void Binary_garbage_and_nul_bytes()
    {
        var random = new Random(1234);
        var bytes = new byte[64 * 1024];
        random.NextBytes(bytes);
        var bag = Run(Encoding.UTF8.GetString(bytes));
        Assert.True(bag.HasErrors);
        Assert.True(bag.Items.Count(d => d.Code == DrbdCodes.BadCharacter) <= 10);
        var nul = Run(TwoNode.Replace("/dev/sda3", "/dev/sda\0 3", StringComparison.Ordinal));
        Assert.Contains(nul.Items, d => d.Code == DrbdCodes.BadCharacter && d.Line == 5);
    }

    [Fact]
    public void Huge_lines_and_tokens()
    {
        var bag = Run("resource " + new string('r', 1_000_000) + " { }");
        Assert.Contains(bag.Items, d => d.Code == DrbdCodes.TokenTooLong);
        var str = Run("resource r0 { handlers { split-brain \"" + new string('x', 100_000) + "\"; } }");
        Assert.Contains(str.Items, d => d.Code == DrbdCodes.TokenTooLong);
        Run(string.Concat(Enumerable.Repeat("a ", 500_000)));
        Assert.Equal(10, Run(new string(';', 100_000)).Items.Count(d => d.Code == DrbdCodes.EmptyStatement));
        // Each value a keyword: a missing ';' is split off again and again, but only MaxValues times.
        var many = Run("resource r0 { " + string.Concat(Enumerable.Repeat("protocol C ", 200_000)) + "; }");
        Assert.True(many.Items.Count < 200, $"{many.Items.Count} findings");
    }
}

public class DrbdSkipEdgeTests
{
    [Fact]
    public void Skip_without_a_section_leaves_the_enclosing_brace_alone()
    {
        var (resources, bag) = DrbdTestHelpers.Parse(DrbdTestHelpers.WithResourceBody("  net { skip }"));
        var d = Assert.Single(bag.Errors());
        Assert.Equal(DrbdCodes.BadShape, d.Code);
        Assert.Single(resources);
    }

    [Fact]
    public void Messages_shorten_long_tokens()
    {
        var (_, bag) = DrbdTestHelpers.Parse("resource r0 { device /dev/" + new string('x', 3000) + " disk }");
        Assert.All(bag.Items, d => Assert.True(d.Message.Length < 400, d.Message));
    }
}
