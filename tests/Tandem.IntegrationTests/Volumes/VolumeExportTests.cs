using System.Globalization;
using System.Text.Json.Nodes;
using Tandem.Core.Model;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Volumes;

/// <summary>
/// The daemon's NBD exports, with real daemon processes and real NBD clients (nbdinfo, qemu-io);
/// no root needed.
/// </summary>
public sealed class VolumeExportTests : IDisposable
{
    private readonly string _work = TestPaths.NewTempDirectory("tandem-vol");

    public void Dispose() => TestPaths.DeleteQuietly(_work);

    [Fact]
    public async Task A_node_exports_its_volume_and_real_clients_read_and_write_it()
    {
        ExternalTool.RequireOrSkip("truncate", "nbdinfo", "qemu-io");
        var node = await VolumeNode.CreateAsync(_work, 64L << 20, tcp: true);
        await using var daemon = await node.StartDaemonAsync();

        var volume = Assert.IsType<JsonObject>(Assert.Single(await node.VolumesAsync()));
        Assert.Equal("r0", (string?)volume["name"]);
        Assert.Equal("exported", (string?)volume["state"]);
        Assert.Equal(node.Socket, (string?)volume["socket"]);
        Assert.Equal(node.Tcp!.ToString(), (string?)volume["tcp"]);
        Assert.Equal(64L << 20, (long)volume["size"]!);
        Assert.Equal(node.Device, (string?)volume["device"]);
        Assert.Equal("none", (string?)volume["replication"]!["state"]);
        Assert.Equal("local backing", (string?)volume["replication"]!["reason"]);
        Assert.Null(volume["attachedDevice"]);

        var unixUri = $"nbd+unix:///r0?socket={node.Socket}";
        var info = JsonNode.Parse((await ExternalTool.RunOkAsync("nbdinfo", "--json", unixUri)).Output)!;
        var export = info["exports"]![0]!;
        Assert.Equal(64L << 20, (long)export["export-size"]!);
        Assert.Equal("r0", (string?)export["export-name"]);
        var tcpSize = (await ExternalTool.RunOkAsync("nbdinfo", "--size", $"nbd://{node.Tcp}/r0")).Output.Trim();
        Assert.Equal((64L << 20).ToString(CultureInfo.InvariantCulture), tcpSize);

        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", unixUri,
            "-c", "write -P 0xa5 1M 256k", "-c", "flush", "-c", "write -z 2M 64k");
        var read = await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", "-r", unixUri,
            "-c", "read -P 0xa5 1M 256k", "-c", "read -P 0 2M 64k");
        Assert.DoesNotContain("Pattern verification failed", read.All, StringComparison.Ordinal);
        // The export serves the local backing directly: the pattern is in the file.
        var bytes = new byte[256 << 10];
        await using (var file = File.OpenRead(node.Backing))
        {
            file.Seek(1 << 20, SeekOrigin.Begin);
            await file.ReadExactlyAsync(bytes, TestContext.Current.CancellationToken);
        }
        Assert.All(bytes, b => Assert.Equal(0xa5, b));

        await using var text = await VolumeNode.TandemAsync(["status", .. node.RunDir]);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("r0: exported, 64 MiB, replication none (local backing)", text.Stdout, StringComparison.Ordinal);
        Assert.Contains($"export: {node.Socket}, tcp {node.Tcp}", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("attached: no", text.Stdout, StringComparison.Ordinal);

        await using var list = await VolumeNode.TandemAsync(["volume", "list", .. node.RunDir]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.StartsWith("r0: exported", list.Stdout, StringComparison.Ordinal);

        // Stopping the daemon stops the export and removes its socket.
        daemon.Signal(15);
        await daemon.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(daemon.ExitCode == 0, daemon.ToString());
        Assert.Contains("nbd.export.stopped", daemon.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(node.Socket), "the export socket should be gone");
    }

    /// <summary>Issue #18 item 4: the daemon's TCP listener with TLS; a plain client never reaches the export.</summary>
    [Fact]
    public async Task With_nbd_tls_the_tcp_export_needs_tls_and_the_unix_socket_stays_plain()
    {
        ExternalTool.RequireOrSkip("truncate", "nbdinfo");
        var certificates = Path.Combine(_work, "pki");
        Directory.CreateDirectory(certificates);
        var tls = new NbdTlsSpec(Path.Combine(certificates, "server-cert.pem"))
        {
            Key = Path.Combine(certificates, "server-key.pem"),
            ClientCa = Path.Combine(certificates, "ca-cert.pem"),
            VerifyClient = NbdClientCertificates.Required,
        };
        var node = await VolumeNode.CreateAsync(_work, 16L << 20, tcp: true, tls: tls);
        var pki = TestCertificates.Create(certificates, node.Tcp!.Address);
        await using var daemon = await node.StartDaemonAsync();

        var size = (16L << 20).ToString(CultureInfo.InvariantCulture);
        var secure = await ExternalTool.RunOkAsync("nbdinfo", "--size", $"nbds://{node.Tcp}/r0?tls-certificates={pki.ClientDirectory}");
        Assert.Equal(size, secure.Output.Trim());

        var plain = await ExternalTool.RunAsync("nbdinfo", ["--size", $"nbd://{node.Tcp}/r0"]);
        Assert.True(plain.ExitCode != 0, $"a client without TLS reached the export: {plain.All}");
        var anonymous = await ExternalTool.RunAsync("nbdinfo", ["--size", $"nbds://{node.Tcp}/r0?tls-certificates={pki.NoClientDirectory}"]);
        Assert.True(anonymous.ExitCode != 0, $"a client without a certificate reached the export although nbd_tls_client_ca requires one: {anonymous.All}");

        var unix = await ExternalTool.RunOkAsync("nbdinfo", "--size", $"nbd+unix:///r0?socket={node.Socket}");
        Assert.Equal(size, unix.Output.Trim());
        var volume = Assert.IsType<JsonObject>(Assert.Single(await node.VolumesAsync()));
        Assert.Equal(node.Tcp.ToString(), (string?)volume["tcp"]);
    }

    [Fact]
    public async Task A_missing_backing_is_reported_and_the_daemon_keeps_running()
    {
        var node = await VolumeNode.CreateAsync(_work, backingSize: null);
        await using var daemon = await node.StartDaemonAsync();
        var line = await daemon.WaitForLineAsync("volume.unavailable", TimeSpan.FromSeconds(30), "the volume.unavailable event");
        Assert.Contains(node.Backing, line, StringComparison.Ordinal);

        var volume = Assert.IsType<JsonObject>(Assert.Single(await node.VolumesAsync()));
        Assert.Equal("unavailable", (string?)volume["state"]);
        Assert.Contains(node.Backing, (string?)volume["reason"], StringComparison.Ordinal);
        Assert.False(File.Exists(node.Socket), "no socket for a volume without backing");
        Assert.False(daemon.HasExited, daemon.ToString());

        await using var attach = await VolumeNode.TandemAsync(["volume", "attach", "r0", .. node.RunDir]);
        Assert.True(attach.ExitCode == 1, attach.ToString());
        Assert.Contains("not exported", attach.Stderr, StringComparison.Ordinal);
        Assert.Contains(node.Backing, attach.Stderr, StringComparison.Ordinal);

        await using var text = await VolumeNode.TandemAsync(["status", .. node.RunDir]);
        Assert.Contains("r0: unavailable", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("reason: cannot open the backing", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_refuses_an_unknown_volume_and_never_replaces_a_real_file()
    {
        ExternalTool.RequireOrSkip("truncate");
        var node = await VolumeNode.CreateAsync(_work, 16L << 20);
        Directory.CreateDirectory(Path.GetDirectoryName(node.Device)!);
        await File.WriteAllTextAsync(node.Device, "not a device", TestContext.Current.CancellationToken);
        await using var daemon = await node.StartDaemonAsync();

        await using var unknown = await VolumeNode.TandemAsync(["volume", "attach", "nosuch", .. node.RunDir]);
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("no volume named nosuch", unknown.Stderr, StringComparison.Ordinal);

        await using var refused = await VolumeNode.TandemAsync(["volume", "attach", "r0", .. node.RunDir]);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("is not a symlink", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal("not a device", await File.ReadAllTextAsync(node.Device, TestContext.Current.CancellationToken));
        Assert.Empty(Directory.Exists(node.AttachDirectory) ? Directory.GetFiles(node.AttachDirectory, "*.json") : []);

        // Detaching what is not attached succeeds and says so.
        await using var detach = await VolumeNode.TandemAsync(["volume", "detach", "r0", .. node.RunDir]);
        Assert.True(detach.ExitCode == 0, detach.ToString());
        Assert.Contains("r0 was not attached", detach.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Volume_help_has_exit_codes_and_examples()
    {
        foreach (var sub in new[] { "attach", "detach", "list", "create-md", "up", "down", "primary", "secondary", "connect", "disconnect", "verify", "invalidate", "new-current-uuid", "status" })
        {
            await using var help = await VolumeNode.TandemAsync("volume", sub, "--help");
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.Contains("Exit codes:", help.Stdout, StringComparison.Ordinal);
            Assert.Contains($"tandem volume {sub}", help.Stdout, StringComparison.Ordinal);
        }
    }
}
