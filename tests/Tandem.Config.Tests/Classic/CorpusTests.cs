using System.Text.RegularExpressions;
using Tandem.Config.Classic;
using Xunit;
using static Tandem.Config.Tests.Classic.ClassicTestFiles;

namespace Tandem.Config.Tests.Classic;

/// <summary>
/// Configurations in Corpus/heartbeat, each recorded with the verdict of the real Heartbeat 3.0.6
/// (run in a network namespace by Corpus/heartbeat-oracle.sh): '# heartbeat-3.0.6: starts' or
/// 'refuses', with its messages as '# heartbeat-3.0.6 says:'. Tandem, reading the file as its daemon
/// does at start, must give the same verdict, unless a '# difference:' line says why not (and the
/// docs list it). '# expect: CODE LINE' comments name findings that must be reported; no error
/// outside them may be. A '.case' file holds several files, each after a '=== NAME' line
/// ('=== -NAME': that file is absent).
/// </summary>
public sealed partial class CorpusTests
{
    /// <summary>The machine Heartbeat was run on: the oracle's network namespace.</summary>
    internal static readonly HostFacts OracleHost = new()
    {
        InterfaceExists = name => name is "lo" or "eth0" or "eth1",
        DeviceExists = path => path == "/dev/ttyS0",
        Resolves = host => System.Net.IPAddress.TryParse(host, out _) || host == "localhost",
        UserExists = user => user is "root" or "hacluster" or "nobody",
        IsExecutable = path => path is "/usr/libexec/heartbeat/ipfail" or "/bin/true",
    };

    /// <summary>The codes of what Heartbeat checks of the machine at start.</summary>
    private static readonly HashSet<string> s_startCheckCodes = ["HACF047", "HACF048", "HACF049", "HACF050", "HACF051", "HACF052"];

    public static TheoryData<string> Files =>
        new(Directory.EnumerateFiles(CorpusDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Files))]
    public void Corpus_file_gives_exactly_the_expected_errors(string name)
    {
        var path = Path.Combine(CorpusDirectory, name);
        var text = File.ReadAllText(path);
        var expected = ExpectRegex().Matches(text)
            .Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToHashSet();
        Assert.True(expected.Count > 0 || VerdictRegex().IsMatch(text), $"{name}: neither '# expect:' nor '# heartbeat-3.0.6:'");
        var bag = Check(path, daemon: true);
        var all = bag.Items.Select(d => (d.Code, d.Line)).ToHashSet();
        var errors = bag.Items.Where(d => d.Severity == Severity.Error).Select(d => (d.Code, d.Line)).ToHashSet();
        Assert.True(expected.IsSubsetOf(all), $"{name}: expected {string.Join(", ", expected)}; got:\n{bag.Dump()}");
        Assert.True(errors.IsSubsetOf(expected), $"{name}: unexpected errors; got:\n{bag.Dump()}");
        if (Path.GetExtension(name) != ".case")
        {
            Assert.All(bag.Items, d => Assert.Equal(path, d.File));
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Corpus_file_gets_Heartbeat_3_0_6s_verdict_or_a_stated_difference(string name)
    {
        var path = Path.Combine(CorpusDirectory, name);
        var text = File.ReadAllText(path);
        var verdict = VerdictRegex().Match(text);
        Assert.True(verdict.Success, $"{name}: no '# heartbeat-3.0.6: starts|refuses' line (record it with Corpus/heartbeat-oracle.sh)");
        var heartbeatRefuses = verdict.Groups[1].Value == "refuses";
        var bag = Check(path, daemon: true);
        var tandemRefuses = bag.HasErrors;
        var difference = DifferenceRegex().Match(text);
        if (difference.Success)
        {
            Assert.True(heartbeatRefuses != tandemRefuses,
                $"{name}: marked as a difference ({difference.Groups[1].Value}), yet Tandem agrees with Heartbeat; remove the '# difference:' line");
            return;
        }
        Assert.True(heartbeatRefuses == tandemRefuses,
            $"{name}: Heartbeat 3.0.6 {(heartbeatRefuses ? "refuses" : "starts")}, Tandem {(tandemRefuses ? "refuses" : "accepts")}:\n{bag.Dump()}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void What_Heartbeat_checks_at_start_is_a_warning_of_config_check(string name)
    {
        var path = Path.Combine(CorpusDirectory, name);
        var daemon = Check(path, daemon: true).Items.Where(d => s_startCheckCodes.Contains(d.Code)).ToList();
        var check = Check(path, daemon: false).Items.Where(d => s_startCheckCodes.Contains(d.Code)).ToList();
        Assert.Equal(daemon.Select(d => (d.Code, d.Line)), check.Select(d => (d.Code, d.Line)));
        Assert.All(daemon, d => Assert.Equal(Severity.Error, d.Severity));
        Assert.All(check, d => Assert.Equal(Severity.Warning, d.Severity));
    }

    private static DiagnosticBag Check(string path, bool daemon)
    {
        var bag = new DiagnosticBag();
        switch (Path.GetExtension(path))
        {
            case ".hacf":
                HaCfReader.Read(path, Node1IsLocal, bag, OracleHost, startChecksAreErrors: daemon);
                break;
            case ".authkeys":
                AuthKeysReader.Read(path, new ConfigOptions { SkipKeyFileModeCheck = true }, bag);
                break;
            case ".haresources":
                HaResourcesReader.Read(path, SeedNodes, [], bag);
                break;
            case ".case":
                using (var dir = new HaDirectory())
                {
                    WriteCase(File.ReadAllText(path), dir);
                    HeartbeatReader.Read(dir.Options() with { Host = OracleHost, StartChecksAreErrors = daemon, SkipKeyFileModeCheck = true }, bag);
                }
                break;
            default:
                Assert.Fail($"{Path.GetFileName(path)}: unknown corpus extension (use .hacf, .authkeys, .haresources or .case)");
                break;
        }
        return bag;
    }

    /// <summary>Writes the files of a '.case': the seed's authkeys and an empty haresources, then each section.</summary>
    private static void WriteCase(string text, HaDirectory dir)
    {
        dir.Write("authkeys", "auth 1\n1 sha1 PutYourSuperSecretKeyHere\n", Mode600);
        dir.Write("haresources", "# no groups\n");
        string? current = null;
        var body = new System.Text.StringBuilder();
        void Flush()
        {
            if (current is not null && !current.StartsWith('-'))
            {
                dir.Write(current, body.ToString());
            }
            body.Clear();
        }
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("=== ", StringComparison.Ordinal))
            {
                Flush();
                current = line[4..].Trim();
                if (current.StartsWith('-'))
                {
                    File.Delete(dir.File(current[1..]));
                }
                continue;
            }
            body.Append(line).Append('\n');
        }
        Flush();
    }

    [GeneratedRegex(@"^# expect: (\w+) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex ExpectRegex();

    [GeneratedRegex(@"^# heartbeat-3\.0\.6: (starts|refuses)$", RegexOptions.Multiline)]
    private static partial Regex VerdictRegex();

    [GeneratedRegex(@"^# difference: (.+)$", RegexOptions.Multiline)]
    private static partial Regex DifferenceRegex();
}

public sealed partial class DiagnosticCodeDocsTests
{
    [Fact]
    public void Every_code_the_readers_use_is_documented()
    {
        var root = Path.GetFullPath(Path.Combine(CorpusDirectory, "..", "..", "..", ".."));
        var docs = Path.Combine(root, "docs", "configuration-classic-heartbeat.md");
        var sources = Path.Combine(root, "src", "Tandem.Config", "Classic");
        if (!File.Exists(docs) || !Directory.Exists(sources))
        {
            Assert.Skip($"needs the source tree ({docs})");
        }
        var documented = File.ReadAllText(docs);
        var codes = Directory.EnumerateFiles(sources, "*.cs")
            .Where(f => !Path.GetFileName(f).StartsWith("Drbd", StringComparison.Ordinal))
            .SelectMany(f => CodeRegex().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet();
        Assert.True(codes.Count > 60, $"found only {codes.Count} codes");
        Assert.All(codes, c => Assert.Contains($"| {c} |", documented, StringComparison.Ordinal));
    }

    [GeneratedRegex("\"((?:HACF|AUTH|HARES)[0-9]{3})\"")]
    private static partial Regex CodeRegex();
}
