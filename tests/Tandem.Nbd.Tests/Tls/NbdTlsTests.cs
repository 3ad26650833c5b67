using System.Net;
using System.Security.Cryptography;
using Tandem.Core.Model;
using Tandem.Nbd.Protocol;
using Tandem.Nbd.Tls;

namespace Tandem.Nbd.Tests.Tls;

/// <summary>
/// TLS on the NBD TCP listener (issue #18 item 4), with NBD clients nobody here wrote: nbdinfo,
/// nbdcopy and qemu-io speak NBD_OPT_STARTTLS with certificates made in the test; a client that
/// does not start TLS never reaches the export.
/// </summary>
public sealed class NbdTlsTests
{
    [Fact]
    public async Task Real_clients_read_and_write_over_tls()
    {
        ExternalTool.RequireOrSkip("nbdinfo", "nbdcopy", "qemu-io");
        await using var server = await StartAsync(NbdClientCertificates.None, out var pki);
        var uri = Uri(server, pki.NoClientDirectory);

        var size = (await ExternalTool.RunOkAsync("nbdinfo", "--size", uri)).Output.Trim();
        Assert.Equal((16L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), size);

        var source = Path.Combine(server.Directory, "source.img");
        var back = Path.Combine(server.Directory, "back.img");
        var data = new byte[8 << 20];
        new Random(7).NextBytes(data);
        await File.WriteAllBytesAsync(source, data, TestContext.Current.CancellationToken);
        await ExternalTool.RunOkAsync("nbdcopy", "--flush", source, uri);
        await ExternalTool.RunOkAsync("nbdcopy", uri, back);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData((await File.ReadAllBytesAsync(back, TestContext.Current.CancellationToken)).AsSpan(0, data.Length)));

        var port = server.Server.TcpEndPoint!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var qemu = await ExternalTool.RunOkAsync("qemu-io",
            "--object", $"tls-creds-x509,id=tls0,dir={pki.NoClientDirectory},endpoint=client",
            "--image-opts", $"driver=nbd,server.type=inet,server.host=127.0.0.1,server.port={port},export=test,tls-creds=tls0",
            "-c", "write -P 0x5a -f 9M 1M",
            "-c", "read -P 0x5a 9M 1M");
        Assert.DoesNotContain("fail", qemu.All, StringComparison.OrdinalIgnoreCase);
        var onDisk = new byte[1 << 20];
        await using (var file = File.OpenRead(server.BackingPath))
        {
            file.Position = 9 << 20;
            await file.ReadExactlyAsync(onDisk, TestContext.Current.CancellationToken);
        }
        Assert.All(onDisk, b => Assert.Equal(0x5a, b));
    }

    [Fact]
    public async Task A_client_that_does_not_start_tls_is_refused_and_the_unix_socket_stays_plain()
    {
        ExternalTool.RequireOrSkip("nbdinfo");
        await using var server = await StartAsync(NbdClientCertificates.None, out _);
        var tcp = server.Server.TcpEndPoint!;

        var plain = await ExternalTool.RunAsync("nbdinfo", [$"nbd://127.0.0.1:{tcp.Port}/test"]);
        Assert.True(plain.ExitCode != 0, $"nbdinfo without TLS reached the export: {plain.All}");
        Assert.True(server.Server.TcpCounters.TlsRequired > 0, "the TLS refusal was not counted");

        // By hand: every option but STARTTLS and ABORT gets NBD_REP_ERR_TLS_REQD ...
        using (var client = new RawClient(tcp))
        {
            client.Hello();
            foreach (var option in new[] { NbdOption.List, NbdOption.StructuredReply, NbdOption.Go, NbdOption.Info })
            {
                var data = option is NbdOption.Go or NbdOption.Info ? new NbdInfoRequest("test", []).ToBytes() : [];
                client.SendOption((uint)option, data);
                Assert.Equal(NbdOptionReply.ErrTlsReqd, client.ReceiveOptionReply((uint)option).Reply);
            }
            // ... and EXPORT_NAME, which has no error reply, ends the connection.
            client.SendOption((uint)NbdOption.ExportName, RawClient.Utf8("test"));
            Assert.True(client.ServerClosed(), "EXPORT_NAME without TLS was not refused by a disconnect");
        }

        // The Unix socket has no TLS (its file mode is its access control): plain works, STARTTLS is unsupported.
        using (var unix = new RawClient(server.SocketPath))
        {
            unix.Hello();
            unix.SendOption((uint)NbdOption.StartTls, []);
            Assert.Equal(NbdOptionReply.ErrUnsup, unix.ReceiveOptionReply((uint)NbdOption.StartTls).Reply);
        }
        using (var unix = new RawClient(server.SocketPath))
        {
            Assert.Equal(16UL << 20, unix.Go("test").Size);
        }
    }

    [Fact]
    public async Task Bytes_sent_behind_starttls_before_the_handshake_end_the_connection()
    {
        await using var server = await StartAsync(NbdClientCertificates.None, out _);
        using var client = new RawClient(server.Server.TcpEndPoint!);
        client.Hello();
        // STARTTLS and, in the same segment, a plain GO that must never be taken as if it came inside TLS.
        var go = new NbdInfoRequest("test", []).ToBytes();
        var both = new byte[(2 * NbdOptionHeader.Size) + go.Length];
        Option(both, NbdOption.StartTls, 0);
        Option(both.AsSpan(NbdOptionHeader.Size), NbdOption.Go, go.Length);
        go.CopyTo(both.AsSpan(2 * NbdOptionHeader.Size));
        client.Send(both);
        Assert.Equal(NbdOptionReply.Ack, client.ReceiveOptionReply((uint)NbdOption.StartTls).Reply);
        Assert.True(client.ServerClosed(), "plain bytes behind STARTTLS did not end the connection");
    }

    [Theory]
    [InlineData(NbdClientCertificates.Required)]
    [InlineData(NbdClientCertificates.Optional)]
    public async Task Client_certificates_are_checked_against_the_configured_ca(NbdClientCertificates mode)
    {
        ExternalTool.RequireOrSkip("nbdinfo");
        await using var server = await StartAsync(mode, out var pki);

        await ExternalTool.RunOkAsync("nbdinfo", "--size", Uri(server, pki.ClientDirectory));

        var stranger = await ExternalTool.RunAsync("nbdinfo", ["--size", Uri(server, pki.StrangerDirectory)]);
        Assert.True(stranger.ExitCode != 0, $"a client certificate from another CA was accepted ({mode}): {stranger.All}");

        var anonymous = await ExternalTool.RunAsync("nbdinfo", ["--size", Uri(server, pki.NoClientDirectory)]);
        if (mode == NbdClientCertificates.Required)
        {
            Assert.True(anonymous.ExitCode != 0, $"a client without a certificate was accepted although one is required: {anonymous.All}");
        }
        else
        {
            Assert.True(anonymous.ExitCode == 0, $"a client without a certificate was refused although one is optional: {anonymous.All}");
        }
    }

    [Fact]
    public void A_tcp_listener_without_tls_needs_the_explicit_opt_in()
    {
        var dir = TestServer.TempDirectory();
        try
        {
            var volume = new Hostile.PowerLossVolume(new byte[4096], new Random(1));
            var error = Assert.Throws<ArgumentException>(() => new NbdServer([new NbdExport("x", volume)],
                new NbdServerOptions { SocketPath = Path.Combine(dir, "s"), TcpEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }));
            Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Unusable_tls_files_are_named_in_the_error()
    {
        var dir = TestServer.TempDirectory();
        try
        {
            var missing = Path.Combine(dir, "nope.pem");
            var error = Assert.Throws<NbdTlsConfigurationException>(() => NbdTlsOptions.Load(missing, null, null, NbdClientCertificates.None));
            Assert.Contains(missing, error.Message, StringComparison.Ordinal);
            var pki = TestCertificates.Create(dir);
            var noCa = Assert.Throws<NbdTlsConfigurationException>(() => NbdTlsOptions.Load(pki.ServerCertificate, pki.ServerKey, null, NbdClientCertificates.Required));
            Assert.Contains("nbd_tls_client_ca", noCa.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Task<TestServer> StartAsync(NbdClientCertificates mode, out TestCertificates pki)
    {
        var dir = TestServer.TempDirectory();
        NbdTlsOptions tls;
        try
        {
            pki = TestCertificates.Create(dir);
            tls = NbdTlsOptions.Load(pki.ServerCertificate, pki.ServerKey, mode == NbdClientCertificates.None ? null : pki.CaCertificate, mode);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
        return TestServer.StartAsync(size: 16L << 20, directory: dir, options: new NbdServerOptions
        {
            TcpEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Tls = tls,
        });
    }

    private static string Uri(TestServer server, string certificates) =>
        $"nbds://127.0.0.1:{server.Server.TcpEndPoint!.Port}/test?tls-certificates={certificates}";

    private static void Option(Span<byte> span, NbdOption option, int length) =>
        new NbdOptionHeader((uint)option, (uint)length).Format(span);
}
