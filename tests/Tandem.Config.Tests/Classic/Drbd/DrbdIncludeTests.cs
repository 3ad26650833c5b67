using Xunit;
using Tandem.Config.Classic;
using Tandem.Config.Classic.Drbd;
using static Tandem.Config.Tests.Classic.Drbd.DrbdTestHelpers;

namespace Tandem.Config.Tests.Classic.Drbd;

/// <summary>Includes with real files in a temporary directory, as on /etc/drbd.d.</summary>
public sealed class DrbdIncludeTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tandem-drbd-inc-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Resource(string name, int minor, int port) => $$"""
        resource {{name}} {
          device /dev/drbd{{minor}}; disk /dev/vg/{{name}}; meta-disk internal;
          on alpha { address 10.0.0.1:{{port}}; }
          on bravo { address 10.0.0.2:{{port}}; }
        }
        """;

    [Fact]
    public void Glob_includes_files_sorted_relative_to_the_including_file()
    {
        var top = Write("drbd.conf", "include \"drbd.d/global_common.conf\";\ninclude \"drbd.d/*.res\";\n");
        Write("drbd.d/global_common.conf", "global { usage-count no; }\ncommon { net { protocol A; } }\n");
        Write("drbd.d/r2.res", Resource("r2", 2, 7790));
        Write("drbd.d/r0.res", Resource("r0", 0, 7788));
        Write("drbd.d/r1.res", Resource("r1", 1, 7789));
        Write("drbd.d/r1.res.bak", "this is not drbd.conf");
        Write("drbd.d/.hidden.res", "neither is this");
        var bag = new DiagnosticBag();
        var resources = DrbdConfReader.Read(top, bag);
        bag.NoErrors();
        Assert.Equal(["r0", "r1", "r2"], resources.Select(r => r.Name));
        Assert.All(resources, r => Assert.Equal(Tandem.Core.Model.ReplicationProtocol.A, r.Protocol));
    }

    [Fact]
    public void Errors_in_included_files_name_that_file_and_line()
    {
        var top = Write("drbd.conf", "include \"/" + _dir.FullName.TrimStart('/') + "/drbd.d/*.res\";\n");
        var res = Write("drbd.d/bad.res", "resource r0 {\n  protocol X;\n}\n");
        var bag = new DiagnosticBag();
        DrbdConfReader.Read(top, bag);
        var d = bag.Single(DrbdCodes.BadEnumValue);
        Assert.Equal(res, d.File);
        Assert.Equal(2, d.Line);
        Assert.Equal(12, d.Column);
    }

    [Fact]
    public void A_glob_matching_nothing_is_fine()
    {
        var top = Write("drbd.conf", "include \"drbd.d/*.res\";\ninclude \"nowhere/*.conf\";\n" + TwoNode);
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "drbd.d"));
        var bag = new DiagnosticBag();
        var resources = DrbdConfReader.Read(top, bag);
        bag.NoErrors();
        Assert.Single(resources);
        Assert.Equal(2, bag.Items.Count(d => d.Code == DrbdCodes.IncludeMatchedNothing && d.Severity == Severity.Info));
    }

    [Fact]
    public void A_missing_plain_include_is_a_warning()
    {
        var top = Write("drbd.conf", "include \"missing.conf\";\n" + TwoNode);
        var bag = new DiagnosticBag();
        DrbdConfReader.Read(top, bag);
        bag.NoErrors();
        Assert.Equal(Severity.Warning, bag.Single(DrbdCodes.IncludeMatchedNothing).Severity);
    }

    [Fact]
    public void Include_cycles_are_errors()
    {
        var top = Write("drbd.conf", "include \"a.conf\";\n");
        Write("a.conf", "include \"b.conf\";\n");
        Write("b.conf", "\ninclude \"a.conf\";\n");
        var bag = new DiagnosticBag();
        DrbdConfReader.Read(top, bag);
        var d = bag.Single(DrbdCodes.IncludeCycle);
        Assert.EndsWith("b.conf", d.File, StringComparison.Ordinal);
        Assert.Equal(2, d.Line);
    }

    [Fact]
    public void A_file_including_itself_is_a_cycle()
    {
        var top = Write("drbd.conf", "include \"*.conf\";\n");
        var bag = new DiagnosticBag();
        DrbdConfReader.Read(top, bag);
        bag.Single(DrbdCodes.IncludeCycle);
    }

    [Fact]
    public void Includes_deeper_than_16_are_errors()
    {
        for (var i = 0; i < 20; i++)
        {
            Write($"f{i}.conf", $"include \"f{i + 1}.conf\";\n");
        }
        Write("f20.conf", TwoNode);
        var bag = new DiagnosticBag();
        DrbdConfReader.Read(Path.Combine(_dir.FullName, "f0.conf"), bag);
        var d = bag.Single(DrbdCodes.IncludeTooDeep);
        Assert.EndsWith("f16.conf", d.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Globs_that_include_each_other_stop_at_a_total_limit()
    {
        // 30 files that each include all the others would otherwise be read 30!/14! times.
        for (var i = 0; i < 30; i++)
        {
            Write($"g{i:D2}.conf", "include \"*.conf\";\n");
        }
        var bag = new DiagnosticBag();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        DrbdConfReader.Read(Path.Combine(_dir.FullName, "g00.conf"), bag);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.Contains(bag.Items, d => d.Code == DrbdCodes.IncludeTooDeep && d.Message.Contains("in total", StringComparison.Ordinal));
    }

    [Fact]
    public void Includes_16_deep_are_fine()
    {
        for (var i = 0; i < 16; i++)
        {
            Write($"f{i}.conf", $"include \"f{i + 1}.conf\";\n");
        }
        Write("f16.conf", TwoNode);
        var bag = new DiagnosticBag();
        var resources = DrbdConfReader.Read(Path.Combine(_dir.FullName, "f0.conf"), bag);
        bag.NoErrors();
        Assert.Single(resources);
    }

    [Fact]
    public void Include_inside_a_resource_splices_statements()
    {
        var top = Write("drbd.conf", "resource r0 {\n include \"hosts.inc\";\n device /dev/drbd0; disk /dev/sda1; meta-disk internal;\n}\n");
        Write("hosts.inc", "on alpha { address 10.0.0.1:7788; }\non bravo { address 10.0.0.2:7788; }\n");
        var bag = new DiagnosticBag();
        var resources = DrbdConfReader.Read(top, bag);
        bag.NoErrors();
        Assert.Equal(2, Assert.Single(resources).Hosts.Count);
    }

    [Fact]
    public void Duplicate_resources_across_files_name_both_places()
    {
        var top = Write("drbd.conf", "include \"d/*.res\";\n");
        Write("d/a.res", Resource("r0", 0, 7788));
        var b = Write("d/b.res", Resource("r0", 1, 7789));
        var bag = new DiagnosticBag();
        DrbdConfReader.Read(top, bag);
        var d = bag.Single(DrbdCodes.DuplicateResource);
        Assert.Equal(b, d.File);
        Assert.Contains("a.res:1:10", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_memory_includes_work_through_the_text_entry_point()
    {
        var files = new Dictionary<string, string>
        {
            ["/etc/drbd.d/global_common.conf"] = "common { protocol B; }",
            ["/etc/drbd.d/r0.res"] = TwoNode.Replace("  protocol C;\n", "", StringComparison.Ordinal),
        };
        var (resources, bag) = Parse("include \"drbd.d/*.conf\";\ninclude \"/etc/drbd.d/*.res\";", files);
        bag.NoErrors();
        Assert.Equal(Tandem.Core.Model.ReplicationProtocol.B, Assert.Single(resources).Protocol);
    }
}
