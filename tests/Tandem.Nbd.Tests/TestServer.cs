using Tandem.Core.Volumes;

namespace Tandem.Nbd.Tests;

/// <summary>An in-process NBD server on a temporary Unix socket over a temporary sparse file.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(string directory, FileVolume volume, NbdServer server)
    {
        Directory = directory;
        Volume = volume;
        Server = server;
    }

    public string Directory { get; }

    public FileVolume Volume { get; }

    public NbdServer Server { get; }

    public string SocketPath => Server.SocketPath!;

    public string BackingPath => Volume.Path;

    public string Uri(string export = "") => $"nbd+unix:///{export}?socket={SocketPath}";

    public static async Task<TestServer> StartAsync(long size = 64L << 20, NbdServerOptions? options = null, string name = "test", string? directory = null)
    {
        directory ??= TempDirectory();
        var volume = FileVolume.Create(Path.Combine(directory, "backing.img"), size);
        options = (options ?? new NbdServerOptions()) with { SocketPath = Path.Combine(directory, "nbd.sock") };
        var server = new NbdServer([new NbdExport(name, volume, "test export")], options);
        await server.StartAsync(CancellationToken.None);
        return new TestServer(directory, volume, server);
    }

    public static string TempDirectory()
    {
        // Short: Unix socket paths are limited to 108 bytes.
        var path = Path.Combine("/tmp", "tandem-nbd-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Volume.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
