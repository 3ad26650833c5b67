using System.Diagnostics;
using Tandem.Nbd.Client;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Tests.Client;

/// <summary>The built-in client against this project's server and against nbdkit, which nobody here wrote.</summary>
public sealed class NbdClientTests
{
    [Fact]
    public async Task Writes_with_fua_flushes_and_reads_back_through_our_server()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(size: 1 << 20, name: "r0");
        await using var client = await NbdClient.ConnectAsync(server.SocketPath, "r0", ct);
        Assert.Equal(1UL << 20, client.Size);
        Assert.False(client.ReadOnly);

        var record = new byte[4096];
        Random.Shared.NextBytes(record);
        Assert.Equal(NbdError.None, await client.WriteAsync(8192, record, forceUnitAccess: true, ct));
        Assert.Equal(NbdError.None, await client.FlushAsync(ct));
        var back = new byte[4096];
        Assert.Equal(NbdError.None, await client.ReadAsync(8192, back, ct));
        Assert.Equal(record, back);
        // The bytes are in the backing file, where the client put them.
        var onDisk = (await File.ReadAllBytesAsync(server.BackingPath, ct)).AsSpan(8192, 4096).ToArray();
        Assert.Equal(record, onDisk);

        // An error is a reply, and the connection goes on.
        Assert.Equal(NbdError.NoSpace, await client.WriteAsync((1 << 20) - 512, record, forceUnitAccess: false, ct));
        Assert.Equal(NbdError.None, await client.ReadAsync(8192, back, ct));
    }

    [Fact]
    public async Task An_unknown_export_is_refused_with_the_servers_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(name: "r0");
        var refused = await Assert.ThrowsAsync<NbdProtocolException>(() => NbdClient.ConnectAsync(server.SocketPath, "nosuch", ct));
        Assert.Contains("nosuch", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Talks_to_qemu_nbd()
    {
        ExternalTool.RequireOrSkip("qemu-nbd");
        var ct = TestContext.Current.CancellationToken;
        var dir = TestServer.TempDirectory();
        var socket = Path.Combine(dir, "q.sock");
        var pidFile = Path.Combine(dir, "q.pid");
        var image = Path.Combine(dir, "q.img");
        await using (var file = File.Create(image))
        {
            file.SetLength(4 << 20);
        }
        // With --fork, qemu-nbd returns once it serves the socket.
        await ExternalTool.RunOkAsync("qemu-nbd", "--fork", "--persistent", "-k", socket, "-f", "raw", "--pid-file", pidFile, image);
        try
        {
            await using var client = await NbdClient.ConnectAsync(socket, "", ct);
            Assert.Equal(4UL << 20, client.Size);
            var data = new byte[65536];
            Random.Shared.NextBytes(data);
            Assert.Equal(NbdError.None, await client.WriteAsync(1 << 20, data, forceUnitAccess: true, ct));
            var back = new byte[65536];
            Assert.Equal(NbdError.None, await client.ReadAsync(1 << 20, back, ct));
            Assert.Equal(data, back);
            Assert.Equal(NbdError.None, await client.FlushAsync(ct));
            await client.DisposeAsync();
            Assert.Equal(data, (await File.ReadAllBytesAsync(image, ct)).AsSpan(1 << 20, 65536).ToArray());
        }
        finally
        {
            using var qemu = Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture));
            qemu.Kill();
            await qemu.WaitForExitAsync(ct).WithinAsync(TimeSpan.FromSeconds(30), "qemu-nbd to exit");
            Directory.Delete(dir, recursive: true);
        }
    }
}
