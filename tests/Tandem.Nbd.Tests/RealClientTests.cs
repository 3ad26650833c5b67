using System.Security.Cryptography;

namespace Tandem.Nbd.Tests;

/// <summary>Interoperability with NBD clients nobody here wrote: nbdinfo, nbdcopy, qemu-io.</summary>
public sealed class RealClientTests
{
    [Fact]
    public async Task Nbdinfo_reports_size_flags_and_block_sizes()
    {
        ExternalTool.RequireOrSkip("nbdinfo");
        await using var server = await TestServer.StartAsync(size: 48L << 20);
        var json = (await ExternalTool.RunOkAsync("nbdinfo", "--json", server.Uri())).Output;
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("newstyle-fixed", doc.RootElement.GetProperty("protocol").GetString());
        var export = doc.RootElement.GetProperty("exports")[0];
        Assert.Equal(48L << 20, export.GetProperty("export-size").GetInt64());
        Assert.Equal("test", export.GetProperty("export-name").GetString());
        Assert.Equal("test export", export.GetProperty("description").GetString());
        foreach (var capability in new[] { "can_flush", "can_fua", "can_trim", "can_zero", "can_fast_zero", "can_multi_conn", "can_cache", "can_df" })
        {
            Assert.True(export.GetProperty(capability).GetBoolean(), capability);
        }
        Assert.False(export.GetProperty("is_read_only").GetBoolean());
        Assert.Equal(1, export.GetProperty("block_size_minimum").GetInt32());
        Assert.Equal(4096, export.GetProperty("block_size_preferred").GetInt32());
        Assert.Equal(32 << 20, export.GetProperty("block_size_maximum").GetInt32());
    }

    [Fact]
    public async Task Nbdinfo_lists_the_export()
    {
        ExternalTool.RequireOrSkip("nbdinfo");
        await using var server = await TestServer.StartAsync(name: "r0");
        var output = (await ExternalTool.RunOkAsync("nbdinfo", "--list", server.Uri())).Output;
        Assert.Contains("export=\"r0\"", output, StringComparison.Ordinal);
        Assert.Contains("description: test export", output, StringComparison.Ordinal);
        var size = (await ExternalTool.RunOkAsync("nbdinfo", "--size", server.Uri("r0"))).Output.Trim();
        Assert.Equal((64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), size);
        var unknown = await ExternalTool.RunAsync("nbdinfo", [server.Uri("nosuch")]);
        Assert.NotEqual(0, unknown.ExitCode);
    }

    /// <summary>1 GiB of random data out through the server and back, hashed at every step.</summary>
    [Fact]
    public async Task Nbdcopy_round_trip_keeps_every_byte()
    {
        ExternalTool.RequireOrSkip("nbdcopy");
        const long size = 1L << 30;
        await using var server = await TestServer.StartAsync(size: size);
        var source = Path.Combine(server.Directory, "source.img");
        var back = Path.Combine(server.Directory, "back.img");
        await using (var file = File.Create(source))
        {
            var chunk = new byte[1 << 20];
            var random = new Random(42);
            for (var i = 0; i < size / chunk.Length; i++)
            {
                random.NextBytes(chunk);
                await file.WriteAsync(chunk, TestContext.Current.CancellationToken);
            }
        }
        await ExternalTool.RunOkAsync("nbdcopy", "--flush", source, server.Uri());
        await ExternalTool.RunOkAsync("nbdcopy", server.Uri(), back);
        var expected = await HashAsync(source);
        Assert.Equal(expected, await HashAsync(back));
        Assert.Equal(expected, await HashAsync(server.BackingPath));
    }

    [Fact]
    public async Task Qemu_io_patterns_flush_discard_and_write_zeroes()
    {
        ExternalTool.RequireOrSkip("qemu-io");
        await using var server = await TestServer.StartAsync();
        var uri = server.Uri("test");
        var result = await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", uri,
            "-c", "write -P 0x5a 0 1M",
            "-c", "write -P 0xa5 -f 1M 64k",
            "-c", "flush",
            "-c", "read -P 0x5a 0 1M",
            "-c", "read -P 0xa5 1M 64k",
            "-c", "write -P 0x11 4M 1M",
            "-c", "discard 4M 512k",
            "-c", "write -z 8M 2M",
            "-c", "read -P 0 8M 2M",
            "-c", "write -P 0x22 10M 64k",
            "-c", "write -z -u 10M 64k",
            "-c", "write -P 0x44 12M 1M",
            "-c", "write -z -n 12M 1M",
            "-c", "read -P 0 12M 1M",
            "-c", "read -P 0 10M 64k",
            "-c", "write -P 0x33 63M 1M",
            "-c", "read -P 0x33 63M 1M");
        Assert.DoesNotContain("verification failed", result.All, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("error", result.All, StringComparison.OrdinalIgnoreCase);

        // The data really is in the backing file, where the pattern said.
        var bytes = await File.ReadAllBytesAsync(server.BackingPath, TestContext.Current.CancellationToken);
        Assert.All(bytes.AsSpan(0, 1 << 20).ToArray(), b => Assert.Equal(0x5a, b));
        Assert.All(bytes.AsSpan(8 << 20, 2 << 20).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(0x33, bytes[(63 << 20) + 12345]);

        // A read past the end is refused, and the server is still fine.
        var past = await ExternalTool.RunAsync("qemu-io", ["-f", "raw", uri, "-c", "read 64M 4k"]);
        Assert.Contains("read failed", past.All, StringComparison.Ordinal);
        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", uri, "-c", "read -P 0x5a 0 4k");
    }

    [Fact]
    public async Task Several_clients_at_once_each_see_their_own_data()
    {
        ExternalTool.RequireOrSkip("qemu-io");
        await using var server = await TestServer.StartAsync();
        var writers = Enumerable.Range(1, 4).Select(i => ExternalTool.RunAsync("qemu-io", ["-f", "raw", server.Uri(),
            "-c", $"write -P 0x{i:x2} {i * 8}M 4M", "-c", "flush", "-c", $"read -P 0x{i:x2} {i * 8}M 4M"]));
        var results = await Task.WhenAll(writers);
        Assert.All(results, r => Assert.True(r.ExitCode == 0 && !r.All.Contains("failed", StringComparison.Ordinal), r.All));
        Assert.Empty(server.Server.Clients);

        // And each region is visible to a fresh client (flushes cover every connection: multi-conn).
        var verify = Enumerable.Range(1, 4).Select(i => ExternalTool.RunAsync("qemu-io", ["-f", "raw", "-r", server.Uri(),
            "-c", $"read -P 0x{i:x2} {i * 8}M 4M"]));
        Assert.All(await Task.WhenAll(verify), r => Assert.True(r.ExitCode == 0 && !r.All.Contains("failed", StringComparison.Ordinal), r.All));
    }

    private static async Task<string> HashAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, TestContext.Current.CancellationToken));
    }
}
