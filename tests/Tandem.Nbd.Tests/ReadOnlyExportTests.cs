using Tandem.Core.Volumes;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Tests;

public sealed class ReadOnlyExportTests
{
    [Fact]
    public async Task A_read_only_export_says_so_and_refuses_writes_with_eperm()
    {
        var dir = TestServer.TempDirectory();
        try
        {
            var path = Path.Combine(dir, "ro.img");
            await FileVolume.Create(path, 1 << 20).DisposeAsync();
            await using var volume = FileVolume.Open(path, readOnly: true);
            await using var server = new NbdServer([new NbdExport("ro", volume)], new NbdServerOptions { SocketPath = Path.Combine(dir, "ro.sock") });
            await server.StartAsync(TestContext.Current.CancellationToken);

            using var client = new RawClient(server.SocketPath!);
            var (_, flags) = client.Go("ro");
            Assert.True(flags.HasFlag(NbdTransmissionFlags.ReadOnly));
            client.SendRequest(NbdCommand.Write, 0, 4, 1, payload: [1, 2, 3, 4]);
            Assert.Equal(NbdError.Perm, client.ReceiveSimpleReply().Error);
            client.SendRequest(NbdCommand.Trim, 0, 4096, 2);
            Assert.Equal(NbdError.Perm, client.ReceiveSimpleReply().Error);
            client.SendRequest(NbdCommand.WriteZeroes, 0, 4096, 3);
            Assert.Equal(NbdError.Perm, client.ReceiveSimpleReply().Error);
            client.SendRequest(NbdCommand.Flush, 0, 0, 4);
            Assert.Equal(NbdError.None, client.ReceiveSimpleReply().Error);
            client.SendRequest(NbdCommand.Read, 0, 4096, 5);
            Assert.Equal(new byte[4096], client.ReceiveSimpleReply(4096).Data);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
