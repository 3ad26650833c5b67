using Xunit;

namespace Tandem.IntegrationTests.Cli;

/// <summary>Issue 13: a mistyped command names the one that was probably meant, as git does.</summary>
public sealed class UsageErrorTests
{
    private static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Tandem.Cli.Program.RunAsync(args, output, error);
        return (code, error.ToString());
    }

    [Theory]
    [InlineData("stauts", "tandem status")]
    [InlineData("evnets", "tandem events")]
    [InlineData("stat", "tandem status")]
    [InlineData("colume", "tandem volume")]
    public async Task An_unknown_command_suggests_the_nearest_one(string typed, string meant)
    {
        var (code, error) = await RunAsync(typed);
        Assert.Equal(2, code);
        Assert.Contains($"Did you mean '{meant}'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_subcommand_suggests_the_nearest_subcommand()
    {
        var (code, error) = await RunAsync("config", "chekc");
        Assert.Equal(2, code);
        Assert.Contains("Did you mean 'tandem config check'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_word_far_from_every_command_suggests_nothing()
    {
        var (code, error) = await RunAsync("xyzzyplugh");
        Assert.Equal(2, code);
        Assert.DoesNotContain("Did you mean", error, StringComparison.Ordinal);
        Assert.Contains("Run 'tandem --help' for usage.", error, StringComparison.Ordinal);
    }
}
