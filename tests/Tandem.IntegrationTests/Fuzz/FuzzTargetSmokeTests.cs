using System.Text;
using Tandem.Fuzz;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Fuzz;

/// <summary>
/// Every fuzz target, on an empty input, the seed files and 200 random inputs from a fixed seed:
/// a target may reject any input, but must never throw.
/// </summary>
public sealed class FuzzTargetSmokeTests
{
    private const int RandomInputs = 200;
    private const int RandomSeed = 20261125;

    [Fact]
    public void Every_target_survives_empty_seed_and_random_inputs()
    {
        if (FuzzTargets.All.Count == 0)
        {
            Assert.Skip("no fuzz targets are defined yet (tests/Tandem.Fuzz/Targets)");
        }
        var inputs = Inputs().ToList();
        var failures = new List<string>();
        foreach (var (name, target) in FuzzTargets.All.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            foreach (var (label, input) in inputs)
            {
                try
                {
                    target.Run(input);
                }
                catch (Exception e)
                {
                    failures.Add($"{name} threw {e.GetType().Name} on {label}: {e.Message}\n  input (hex, first 64 bytes): {Convert.ToHexString(input.AsSpan(0, Math.Min(64, input.Length)))}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} input(s) crashed a target:\n{string.Join("\n", failures.Take(20))}");
    }

    private static IEnumerable<(string Label, byte[] Input)> Inputs()
    {
        yield return ("the empty input", []);
        foreach (var file in SeedFiles())
        {
            yield return ($"seed file {file}", File.ReadAllBytes(file));
        }
        yield return ("an unterminated brace", "resource r0 {\n  on a {\n"u8.ToArray());
        yield return ("a long line", Encoding.ASCII.GetBytes(new string('x', 100_000)));
        yield return ("deep nesting", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a { ", 5000))));
        var random = new Random(RandomSeed);
        for (var i = 0; i < RandomInputs; i++)
        {
            var bytes = new byte[random.Next(0, 1024)];
            random.NextBytes(bytes);
            yield return ($"random input #{i} (seed {RandomSeed})", bytes);
        }
    }

    private static IEnumerable<string> SeedFiles()
    {
        string? classic = null;
        for (var dir = new DirectoryInfo(TestPaths.RepositoryRoot); dir is not null && classic is null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "examples", "classic");
            if (Directory.Exists(candidate))
            {
                classic = candidate;
            }
        }
        classic ??= Path.Combine(TestPaths.RepositoryRoot, "examples", "classic");
        var roots = new[] { classic, Path.Combine(TestPaths.RepositoryRoot, "examples"), Path.Combine(TestPaths.RepositoryRoot, "tests", "Tandem.Fuzz", "corpus") };
        return roots.Where(Directory.Exists)
            .SelectMany(r => Directory.EnumerateFiles(r, "*", SearchOption.AllDirectories))
            .Where(f => new FileInfo(f).Length < 1_000_000)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .Take(200);
    }
}
