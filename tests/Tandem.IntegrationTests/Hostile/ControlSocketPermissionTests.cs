using System.Net.Sockets;
using Tandem.IntegrationTests.Infrastructure;
using Xunit;

namespace Tandem.IntegrationTests.Hostile;

/// <summary>
/// Issue #18 item 8: a user the control socket refuses is told that permission was refused and
/// who may use it, not that no daemon is running. The socket belongs to root (mode 0600) and the
/// real CLI runs as <c>nobody</c> (setpriv).
/// </summary>
public sealed class ControlSocketPermissionTests
{
    private static readonly string[] s_asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

    [Theory]
    [InlineData(false)] // the run directory is 0700, as the daemon makes it: the socket cannot even be seen
    [InlineData(true)] // the run directory is open, the socket is 0600
    public async Task A_user_the_socket_refuses_is_told_so_and_who_may(bool openDirectory)
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
        {
            Assert.Skip("needs root and setpriv, to run the CLI as nobody against root's socket");
        }
        var runDir = TestPaths.NewTempDirectory("tandem-perm");
        try
        {
            if (openDirectory)
            {
                File.SetUnixFileMode(runDir, (UnixFileMode)0x1ED); // 0755
            }
            var socketPath = Path.Combine(runDir, "control.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen();
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            var cli = TandemProcess.Start(["status", "--run-dir", runDir], environment: new Dictionary<string, string> { ["HOME"] = "/tmp" }, wrapper: s_asNobody);
            await using (cli)
            {
                await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
                Assert.True(cli.ExitCode == 3, cli.ToString());
                Assert.DoesNotContain("no daemon is running", cli.Stderr, StringComparison.Ordinal);
                Assert.Contains("permission to use", cli.Stderr, StringComparison.Ordinal);
                Assert.Contains("was refused", cli.Stderr, StringComparison.Ordinal);
                Assert.Contains("you are nobody (uid 65534)", cli.Stderr, StringComparison.Ordinal);
                Assert.Contains("only root may use", cli.Stderr, StringComparison.Ordinal);
                Assert.Contains(openDirectory ? socketPath : runDir, cli.Stderr, StringComparison.Ordinal);
            }
        }
        finally
        {
            TestPaths.DeleteQuietly(runDir);
        }
    }
}
