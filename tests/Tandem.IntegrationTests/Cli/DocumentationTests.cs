using System.CommandLine;
using System.Text.RegularExpressions;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Cli;

/// <summary>
/// The docs say what the program does (issue #13 item 8): every <c>tandem</c> command line that
/// docs/, README.md and examples/ show names commands and options that exist, and every example
/// configuration passes <c>tandem config check</c>.
/// </summary>
public sealed partial class DocumentationTests
{
    /// <summary>Every mention of a command line in the documentation, as (file:line, text).</summary>
    public static TheoryData<string, string> Mentions()
    {
        var data = new TheoryData<string, string>();
        foreach (var (where, text) in FindMentions().DistinctBy(m => m.Text))
        {
            data.Add(where, text);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Mentions))]
    public void Every_command_line_the_docs_show_exists(string where, string text)
    {
        var problem = Check(global::Tandem.Cli.Program.CreateRootCommand(), text);
        Assert.True(problem is null, $"{where}: `{text}`: {problem}");
    }

    [Fact]
    public void The_docs_show_command_lines_at_all()
    {
        // A broken extraction would make the theory above pass vacuously.
        var mentions = FindMentions().ToList();
        Assert.True(mentions.Count > 50, $"only {mentions.Count} command lines found in docs/, README.md and examples/");
        Assert.Contains(mentions, m => m.Text.StartsWith("tandem volume primary", StringComparison.Ordinal));
    }

    [Fact]
    public void A_command_that_does_not_exist_is_caught()
    {
        var root = global::Tandem.Cli.Program.CreateRootCommand();
        Assert.NotNull(Check(root, "tandem shutdown"));
        Assert.NotNull(Check(root, "tandem volume primary --no-such-option r0"));
        Assert.Null(Check(root, "tandem volume primary --force r0"));
        Assert.Null(Check(root, "tandem standby [all|local|foreign] [--json] [--run-dir DIR]"));
    }

    [Fact]
    public async Task The_native_examples_pass_config_check()
    {
        var native = Path.Combine(TestPaths.RepositoryRoot, "examples", "native");
        var files = Directory.GetFiles(native, "*.toml");
        Assert.NotEmpty(files);
        var copies = TestPaths.NewTempDirectory("tandem-doc-examples");
        try
        {
            foreach (var file in files)
            {
                // They hold a key inline: a copy of mode 0600, as examples/README.md tells the user to make.
                var copy = Path.Combine(copies, Path.GetFileName(file));
                File.Copy(file, copy);
                File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                await using var check = await TandemProcess.RunAsync(["config", "check", "--config", copy]);
                Assert.True(check.ExitCode == 0, $"{file}: {check}");
            }
        }
        finally
        {
            TestPaths.DeleteQuietly(copies);
        }
    }

    [Fact]
    public async Task The_classic_examples_pass_config_check()
    {
        var seed = TestPaths.CopySeed(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await using var check = await TandemProcess.RunAsync(["config", "check", "--ha-dir", seed, "--drbd-conf", Path.Combine(seed, "drbd.conf")]);
            Assert.True(check.ExitCode == 0, check.ToString());
        }
        finally
        {
            TestPaths.DeleteQuietly(seed);
        }
    }

    /// <summary>Why a command line does not match the command tree, or null when it does.</summary>
    internal static string? Check(RootCommand root, string text)
    {
        // "a | jq ..." pipes to another program; "a|b" inside a word lists alternatives.
        var line = text.Split([" | ", " > ", " # ", " && ", "; "], StringSplitOptions.None)[0];
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Command command = root;
        var expectSubcommand = true;
        foreach (var word in words)
        {
            if (word is "..." or "…" || word.StartsWith('[') || word.StartsWith('<') || word.StartsWith('$'))
            {
                // The synopsis' optional parts and placeholders: options inside are checked below.
                foreach (var option in OptionNames().Matches(word).Select(m => m.Value))
                {
                    if (!HasOption(command, option))
                    {
                        return $"'{CommandPath(command)}' has no option {option}";
                    }
                }
                expectSubcommand = false;
                continue;
            }
            if (word.StartsWith('-'))
            {
                var option = word.Split('=')[0];
                if (!HasOption(command, option))
                {
                    return $"'{CommandPath(command)}' has no option {option}";
                }
                continue;
            }
            if (expectSubcommand && command.Subcommands.Count > 0)
            {
                var alternatives = word.Split('|');
                var found = alternatives.Select(a => command.Subcommands.FirstOrDefault(c => c.Name == a || c.Aliases.Contains(a))).ToList();
                if (found.Any(c => c is null))
                {
                    if (command.Arguments.Count > 0)
                    {
                        expectSubcommand = false;
                        continue;
                    }
                    return $"'{CommandPath(command)}' has no subcommand '{alternatives[found.IndexOf(null)]}'";
                }
                command = found[0]!;
                continue;
            }
            // An argument (a resource name, NODE, DIR): from here on only options are checked.
            expectSubcommand = false;
        }
        return null;
    }

    private static bool HasOption(Command command, string name)
    {
        if (name is "-h" or "--help" or "-?")
        {
            return true;
        }
        for (var c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            if (c.Options.Any(o => (c == command || o.Recursive) && (o.Name == name || o.Aliases.Contains(name))))
            {
                return true;
            }
        }
        return false;
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, c.Parents.Any() ? c.Name : "tandem");
        }
        return string.Join(' ', names);
    }

    private static IEnumerable<(string Where, string Text)> FindMentions()
    {
        var root = TestPaths.RepositoryRoot;
        var files = Directory.GetFiles(Path.Combine(root, "docs"), "*.md")
            .Concat(Directory.GetFiles(Path.Combine(root, "examples"), "*.md", SearchOption.AllDirectories))
            .Append(Path.Combine(root, "README.md"));
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(root, file);
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                foreach (Match m in InlineMention().Matches(line))
                {
                    // "there is no `tandem cleanup` yet": said not to exist.
                    // A backslash is a quoted label or escape (`tandem heartbeat link\0<identity>`), not a command line.
                    if (!Negated().IsMatch(line[..m.Index]) && !m.Groups[1].Value.Contains('\\', StringComparison.Ordinal))
                    {
                        yield return ($"{relative}:{i + 1}", Normalize(m.Groups[1].Value));
                    }
                }
                if (CodeLine().Match(line) is { Success: true } code)
                {
                    yield return ($"{relative}:{i + 1}", Normalize(code.Groups[1].Value));
                }
            }
        }
    }

    private static string Normalize(string text)
    {
        var t = text.Trim();
        return t.StartsWith("./", StringComparison.Ordinal) ? t[2..] : t;
    }

    // `tandem volume up r0` but not output quoted in the docs (`tandem demo: FAILED ...`).
    [GeneratedRegex(@"`((?:\./)?tandem(?: [a-z][a-z-]*(?:\|[a-z-]+)*)+(?![a-z:-])[^`]*)`")]
    private static partial Regex InlineMention();

    // An indented code line that runs tandem (optionally after a shell prompt), not its output.
    [GeneratedRegex(@"^ {4,}(?:\$ |# )?((?:\./)?tandem (?:[a-z][a-z-]*)(?![a-z:-]).*)$")]
    private static partial Regex CodeLine();

    [GeneratedRegex(@"(?:\bno|\bnot)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Negated();

    [GeneratedRegex(@"--?[a-zA-Z][a-zA-Z-]*")]
    private static partial Regex OptionNames();
}
