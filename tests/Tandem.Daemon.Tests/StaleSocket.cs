using System.Diagnostics;
using Xunit;

namespace Tandem.Daemon.Tests;

/// <summary>
/// Makes the socket file a killed daemon leaves behind. .NET unlinks a Unix socket it bound when the
/// socket is disposed, so a short-lived python3 process binds it instead and exits without cleaning up.
/// </summary>
internal static class StaleSocket
{
    public static async Task CreateAsync(string path)
    {
        var psi = new ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])", path },
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("python3 is needed to leave a stale socket file behind, and it is not installed");
            return;
        }
        using (process)
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WithinAsync(TimeSpan.FromSeconds(30), "python3 to bind the stale socket");
            Assert.True(process.ExitCode == 0, $"python3 could not bind {path}: {await process.StandardError.ReadToEndAsync()}");
        }
        Assert.True(File.Exists(path), $"the stale socket {path} was not left behind");
    }
}
