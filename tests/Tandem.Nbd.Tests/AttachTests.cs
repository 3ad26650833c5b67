using Tandem.Nbd.Attach;

namespace Tandem.Nbd.Tests;

/// <summary>The whole OS path as root: attach, mkfs.ext4, mount, write and fsync, unmount, detach,
/// attach again, files intact, e2fsck clean. Mounts happen inside a private mount namespace so that
/// nothing leaks into the host's (and no FUSE mount is copied into it).</summary>
public sealed class AttachTests
{
    private static void RequireRootAndTools()
    {
        if (VolumeAttacher.FuseLoopUnavailableReason() is { } why)
        {
            Assert.Skip($"attach needs the nbdfuse + loop path here: {why}");
        }
        ExternalTool.RequireOrSkip("mkfs.ext4", "e2fsck", "mount", "umount", "sh");
    }

    [Fact]
    public async Task A_filesystem_survives_detach_and_attach()
    {
        RequireRootAndTools();
        await using var server = await TestServer.StartAsync(size: 128L << 20, name: "r0");
        var attacher = new VolumeAttacher(Path.Combine(server.Directory, "attach"));
        var link = Path.Combine(server.Directory, "drbd0");
        var ct = TestContext.Current.CancellationToken;

        var device = await attacher.AttachAsync(server.SocketPath, new AttachOptions { Name = "r0", Link = link, Method = AttachMethod.FuseLoop }, ct);
        try
        {
            Assert.StartsWith("/dev/loop", device.DevicePath, StringComparison.Ordinal);
            Assert.Equal(device.DevicePath, new FileInfo(link).LinkTarget);
            Assert.Equal(device, attacher.Find("r0"));
            Assert.True(File.Exists(device.DevicePath));
            Assert.Contains(server.Server.Clients, c => c.Export == "r0");

            await ExternalTool.RunOkAsync("mkfs.ext4", "-q", "-F", link);
            var mnt = Path.Combine(server.Directory, "mnt");
            Directory.CreateDirectory(mnt);
            await ExternalTool.RunOkAsync("unshare", "-m", "--propagation", "private", "sh", "-euc",
                "mount \"$1\" \"$2\"; for i in 1 2 3 4 5; do head -c 1048576 /dev/urandom > \"$2/f$i\"; done; " +
                "echo hello > \"$2/hello.txt\"; sync -f \"$2/hello.txt\"; sha256sum \"$2\"/f* > \"$3\"; umount \"$2\"",
                "sh", device.DevicePath, mnt, Path.Combine(server.Directory, "sums"));

            await attacher.DetachAsync("r0", ct);
            Assert.Null(attacher.Find("r0"));
            Assert.False(File.Exists(link) || new FileInfo(link).LinkTarget is not null, "the device link should be gone");
            Assert.False(File.Exists($"/sys/block/{Path.GetFileName(device.DevicePath)}/loop/backing_file"), "the loop device should be free");

            device = await attacher.AttachAsync(server.SocketPath, new AttachOptions { Name = "r0", Method = AttachMethod.FuseLoop }, ct);
            var fsck = await ExternalTool.RunAsync("e2fsck", ["-fn", device.DevicePath]);
            Assert.True(fsck.ExitCode == 0, $"e2fsck -fn: exit {fsck.ExitCode}: {fsck.All}");
            var check = await ExternalTool.RunAsync("unshare", ["-m", "--propagation", "private", "sh", "-euc",
                "mount -o ro \"$1\" \"$2\"; cd \"$2\"; sha256sum -c \"$3\"; cat hello.txt; cd /; umount \"$2\"",
                "sh", device.DevicePath, mnt, Path.Combine(server.Directory, "sums")]);
            Assert.True(check.ExitCode == 0, check.All);
            Assert.Contains("hello", check.Output, StringComparison.Ordinal);
        }
        finally
        {
            await attacher.DetachAsync("r0", CancellationToken.None);
        }
        Assert.Empty(attacher.List());
    }

    private static bool IsRunningNbdfuse(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat.Contains("(nbdfuse)", StringComparison.Ordinal) && stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Detach_cleans_up_without_a_state_file_and_after_the_helper_died()
    {
        RequireRootAndTools();
        await using var server = await TestServer.StartAsync(size: 16L << 20, name: "r1");
        var stateDir = Path.Combine(server.Directory, "attach");
        var attacher = new VolumeAttacher(stateDir);
        var ct = TestContext.Current.CancellationToken;

        // Lost state file: detach finds the loop device and nbdfuse from the system.
        var device = await attacher.AttachAsync(server.SocketPath, new AttachOptions { Name = "r1", Method = AttachMethod.FuseLoop }, ct);
        File.Delete(Path.Combine(stateDir, "r1.json"));
        await new VolumeAttacher(stateDir).DetachAsync("r1", ct);
        Assert.False(File.Exists($"/sys/block/{Path.GetFileName(device.DevicePath)}/loop/backing_file"));
        Assert.False(IsRunningNbdfuse(device.HelperPid!.Value), "nbdfuse should have exited");

        // A killed helper: the loop device is still there (its I/O fails); detach removes it.
        device = await attacher.AttachAsync(server.SocketPath, new AttachOptions { Name = "r1", Method = AttachMethod.FuseLoop }, ct);
        await ExternalTool.RunOkAsync("kill", "-KILL", device.HelperPid!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await attacher.DetachAsync("r1", ct);
        Assert.False(File.Exists($"/sys/block/{Path.GetFileName(device.DevicePath)}/loop/backing_file"));
        Assert.Empty(attacher.List());

        // Attaching twice under one name is refused; a dead socket is reported, not hung on.
        await attacher.AttachAsync(server.SocketPath, new AttachOptions { Name = "r1", Method = AttachMethod.FuseLoop }, ct);
        await Assert.ThrowsAsync<AttachException>(() => attacher.AttachAsync(server.SocketPath, new AttachOptions { Name = "r1" }, ct));
        await attacher.DetachAsync("r1", ct);
        await Assert.ThrowsAsync<AttachException>(() => attacher.AttachAsync(Path.Combine(server.Directory, "nosuch.sock"),
            new AttachOptions { Name = "r2", Method = AttachMethod.FuseLoop, Timeout = TimeSpan.FromSeconds(5) }, ct));
        Assert.Empty(attacher.List());
    }

    [Fact]
    public async Task Status_shows_the_attached_device()
    {
        RequireRootAndTools();
        var dir = TestServer.TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        try
        {
            await using var volume = Tandem.Core.Volumes.FileVolume.Create(Path.Combine(dir, "r3.img"), 8 << 20);
            var attacher = new VolumeAttacher(Path.Combine(dir, "attach"));
            await using var service = new NbdExportService(attacher: attacher);
            var socket = Path.Combine(dir, "r3.sock");
            await service.StartExportAsync(new NbdExportDefinition("r3", volume, socket), ct);
            Assert.Null(service.GetSnapshot()["r3"].AttachedDevice);

            var device = await attacher.AttachAsync(socket, new AttachOptions { Method = AttachMethod.FuseLoop }, ct);
            try
            {
                Assert.Equal("r3", device.Name);
                var snapshot = service.GetSnapshot()["r3"];
                Assert.Equal(device.DevicePath, snapshot.AttachedDevice);
                Assert.Equal("FuseLoop", snapshot.AttachMethod);
                Assert.True(snapshot.ClientCount >= 1, "nbdfuse should show as a client");
            }
            finally
            {
                await attacher.DetachAsync("r3", CancellationToken.None);
            }
            Assert.Null(service.GetSnapshot()["r3"].AttachedDevice);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
