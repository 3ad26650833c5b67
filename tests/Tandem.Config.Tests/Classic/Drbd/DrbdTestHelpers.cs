using Xunit;
using Tandem.Config.Classic.Drbd;
using Tandem.Core.Model;

namespace Tandem.Config.Tests.Classic.Drbd;

/// <summary>Shared helpers: parse text with in-memory includes, and look at the findings.</summary>
internal static class DrbdTestHelpers
{
    public static (IReadOnlyList<ReplicatedResourceSpec> Resources, DiagnosticBag Diagnostics) Parse(
        string text, IReadOnlyDictionary<string, string>? files = null, string fileName = "/etc/drbd.conf")
    {
        var bag = new DiagnosticBag();
        var resources = DrbdConf.Parse(text, fileName, bag,
            p => files is not null && files.TryGetValue(p, out var t) ? t : null,
            dir => files?.Keys.Where(k => Path.GetDirectoryName(k) == dir).Select(k => Path.GetFileName(k)!).ToList());
        return (resources, bag);
    }

    public static IEnumerable<Diagnostic> Errors(this DiagnosticBag bag) => bag.Items.Where(d => d.Severity == Severity.Error);

    public static string Dump(this DiagnosticBag bag) => string.Join("\n", bag.Items.Select(d => d.ToString()));

    public static Diagnostic Single(this DiagnosticBag bag, string code)
    {
        var found = bag.Items.Where(d => d.Code == code).ToList();
        Assert.True(found.Count == 1, $"expected exactly one {code}, got {found.Count}:\n{bag.Dump()}");
        return found[0];
    }

    public static void NoErrors(this DiagnosticBag bag) =>
        Assert.False(bag.HasErrors, "unexpected errors:\n" + bag.Dump());

    /// <summary>A complete, valid two-node resource, for tests that change one thing.</summary>
    public const string TwoNode = """
        resource r0 {
          protocol C;
          on alpha {
            device /dev/drbd0;
            disk /dev/sda3;
            address 10.0.0.1:7788;
            meta-disk internal;
          }
          on bravo {
            device /dev/drbd0;
            disk /dev/sda3;
            address 10.0.0.2:7788;
            meta-disk internal;
          }
        }
        """;

    public static string ReplaceFirst(string text, string old, string replacement)
    {
        var at = text.IndexOf(old, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{old}' not in the text");
        return text[..at] + replacement + text[(at + old.Length)..];
    }

    /// <summary>A valid resource with extra text inserted at the top of its body.</summary>
    public static string WithResourceBody(string extra) => TwoNode.Replace("  protocol C;\n", "  protocol C;\n" + extra + "\n", StringComparison.Ordinal);
}
