using System.Text.Json.Nodes;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Nbd.Attach;
using Xunit;

namespace Tandem.IntegrationTests.Volumes;

/// <summary>
/// The whole OS path through the daemon, as root: <c>tandem volume attach</c>, a file system on the
/// device, detach, attach again, and detach after the daemon was SIGKILLed. Mounts happen in a private
/// mount namespace; every attachment is undone in finally.
/// </summary>
public sealed class VolumeAttachTests : IDisposable
{
    private readonly string _work = TestPaths.NewTempDirectory("tandem-vat");

    public void Dispose() => TestPaths.DeleteQuietly(_work);

    private static void RequireRootAndTools()
    {
        if (Environment.UserName != "root" && !IsRoot())
        {
            Assert.Skip("attaching a volume needs root (loop devices, FUSE)");
        }
        if (!File.Exists("/dev/fuse"))
        {
            Assert.Skip("/dev/fuse is missing");
        }
        if (VolumeAttacher.FuseLoopUnavailableReason() is { } why)
        {
            Assert.Skip($"attach needs the nbdfuse + loop path here: {why}");
        }
        ExternalTool.RequireOrSkip("truncate", "mkfs.ext4", "e2fsck", "mount", "umount", "unshare", "sh");
    }

    private static bool IsRoot() => File.ReadAllLines("/proc/self/status")
        .FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";

    [Fact]
    public async Task A_filesystem_on_an_attached_volume_survives_detach_and_attach()
    {
        RequireRootAndTools();
        var node = await VolumeNode.CreateAsync(_work, 64L << 20);
        await using var daemon = await node.StartDaemonAsync();
        try
        {
            var device = await AttachAsync(node, expectLink: true);
            Assert.Equal(device, new FileInfo(node.Device).LinkTarget);

            var volume = Assert.IsType<JsonObject>(Assert.Single(await node.VolumesAsync()));
            Assert.Equal(device, (string?)volume["attachedDevice"]);
            Assert.Equal("FuseLoop", (string?)volume["attachMethod"]);
            Assert.True((int)volume["clientCount"]! >= 1, "nbdfuse should show as a client");
            await using (var text = await VolumeNode.TandemAsync(["status", .. node.RunDir]))
            {
                Assert.Contains($"attached: {device} (FuseLoop), configured device {node.Device}", text.Stdout, StringComparison.Ordinal);
            }

            await ExternalTool.RunOkAsync("mkfs.ext4", "-q", "-F", node.Device);
            var mnt = Path.Combine(_work, "mnt");
            Directory.CreateDirectory(mnt);
            var sums = Path.Combine(_work, "sums");
            await ExternalTool.RunOkAsync("unshare", "-m", "--propagation", "private", "sh", "-euc",
                "mount \"$1\" \"$2\"; head -c 3145728 /dev/urandom > \"$2/data\"; echo hello > \"$2/hello.txt\"; " +
                "sync -f \"$2/data\"; sha256sum \"$2/data\" > \"$3\"; umount \"$2\"",
                "sh", device, mnt, sums);

            await DetachAsync(node, device);
            Assert.False(File.Exists(node.Device) || new FileInfo(node.Device).LinkTarget is not null, "the device link should be gone");

            device = await AttachAsync(node, expectLink: true);
            var fsck = await ExternalTool.RunAsync("e2fsck", ["-fn", device]);
            Assert.True(fsck.ExitCode == 0, $"e2fsck -fn: exit {fsck.ExitCode}: {fsck.All}");
            var check = await ExternalTool.RunAsync("unshare", ["-m", "--propagation", "private", "sh", "-euc",
                "mount -o ro \"$1\" \"$2\"; sha256sum -c \"$3\"; cat \"$2/hello.txt\"; umount \"$2\"",
                "sh", device, mnt, sums]);
            Assert.True(check.ExitCode == 0, check.All);
            Assert.Contains("hello", check.Output, StringComparison.Ordinal);

            // A second attach of the same volume is refused while attached.
            await using (var twice = await VolumeNode.TandemAsync(["volume", "attach", "r0", .. node.RunDir]))
            {
                Assert.True(twice.ExitCode == 1, twice.ToString());
                Assert.Contains("already attached", twice.Stderr, StringComparison.Ordinal);
            }
            await DetachAsync(node, device);
        }
        finally
        {
            await new VolumeAttacher(node.AttachDirectory).DetachAsync("r0", CancellationToken.None);
        }
    }

    [Fact]
    public async Task Detach_works_after_the_daemon_was_killed()
    {
        RequireRootAndTools();
        var node = await VolumeNode.CreateAsync(_work, 16L << 20);
        try
        {
            string device;
            int helper;
            await using (var daemon = await node.StartDaemonAsync())
            {
                device = await AttachAsync(node, expectLink: false, "--no-link");
                Assert.False(File.Exists(node.Device) || new FileInfo(node.Device).LinkTarget is not null, "--no-link should make no link");
                helper = new VolumeAttacher(node.AttachDirectory).Find("r0")!.HelperPid!.Value;
                daemon.Signal(9);
                await daemon.WaitForExitAsync(TimeSpan.FromSeconds(20));
            }
            Assert.True(File.Exists(Path.Combine(node.AttachDirectory, "r0.json")), "the attachment record should outlive the daemon");

            await using var detach = await VolumeNode.TandemAsync(["volume", "detach", "r0", .. node.RunDir]);
            Assert.True(detach.ExitCode == 0, detach.ToString());
            Assert.Contains("detaching directly", detach.Stderr, StringComparison.Ordinal);
            Assert.Contains($"detached r0 ({device})", detach.Stdout, StringComparison.Ordinal);
            // Another test running at the same time may take the freed loop device at once: what must be
        // gone is this volume's file behind it.
        var backing = $"/sys/block/{Path.GetFileName(device)}/loop/backing_file";
        var behind = File.Exists(backing) ? File.ReadAllText(backing).Trim() : "";
        Assert.False(behind.StartsWith(node.Work, StringComparison.Ordinal), $"the loop device {device} should be free of this volume, but it is still backed by {behind}");
            Assert.False(IsRunningNbdfuse(helper), "nbdfuse should have exited");
            Assert.Empty(new VolumeAttacher(node.AttachDirectory).List());
        }
        finally
        {
            await new VolumeAttacher(node.AttachDirectory).DetachAsync("r0", CancellationToken.None);
        }
    }

    private static async Task<string> AttachAsync(VolumeNode node, bool expectLink, params string[] extra)
    {
        await using var attach = await VolumeNode.TandemAsync(["volume", "attach", "r0", .. extra, .. node.RunDir]);
        Assert.True(attach.ExitCode == 0, attach.ToString());
        var lines = attach.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var device = lines[0].Trim();
        Assert.StartsWith("/dev/loop", device, StringComparison.Ordinal);
        if (expectLink)
        {
            Assert.Equal($"{node.Device} -> {device}", lines[1].Trim());
        }
        else
        {
            Assert.Single(lines);
        }
        return device;
    }

    private static async Task DetachAsync(VolumeNode node, string device)
    {
        await using var detach = await VolumeNode.TandemAsync(["volume", "detach", "r0", .. node.RunDir]);
        Assert.True(detach.ExitCode == 0, detach.ToString());
        Assert.Contains($"detached r0 ({device})", detach.Stdout, StringComparison.Ordinal);
        // Another test running at the same time may take the freed loop device at once: what must be
        // gone is this volume's file behind it.
        var backing = $"/sys/block/{Path.GetFileName(device)}/loop/backing_file";
        var behind = File.Exists(backing) ? File.ReadAllText(backing).Trim() : "";
        Assert.False(behind.StartsWith(node.Work, StringComparison.Ordinal), $"the loop device {device} should be free of this volume, but it is still backed by {behind}");
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
}
