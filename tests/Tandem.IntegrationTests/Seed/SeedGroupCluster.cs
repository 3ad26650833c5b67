using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.IntegrationTests.Infrastructure;
using Tandem.Lab;
using Tandem.Lab.Placement;
using Tandem.Nbd.Attach;
using Xunit;

namespace Tandem.IntegrationTests.Seed;

/// <summary>
/// The seed's cluster on real storage, as root: ovz-node1 and ovz-node2 in network namespaces with
/// the seed's addresses (<see cref="SeedNetwork"/>), configured with classic files written by the
/// test (the seed's ha.cf, drbd.conf and haresources with test paths and timings), and the seed's
/// group <c>drbddisk::r0 Filesystem::DEVICE::MNT::ext4 vz MailTo::root@localhost</c>:
/// <list type="bullet">
/// <item><c>drbddisk::r0</c> promotes the replicated volume and attaches it (nbdfuse + loop, the
/// configured device a symlink to the loop device);</item>
/// <item><c>Filesystem</c> checks and mounts the ext4 file system made by the test before the run;</item>
/// <item><c>vz</c>, an LSB-style script in <c>ha.d/resource.d</c>, starts a writer that writes
/// numbered files into the mount, fsyncs each, and only then logs its name to a file outside the
/// mount;</item>
/// <item><c>MailTo</c> mails the default relay, localhost:25, where an SMTP sink (aiosmtpd) listens
/// inside each node's namespace.</item>
/// </list>
/// Where things live: <c>ip netns exec</c> gives each daemon a mount namespace of its own (slave to
/// the host's, so nothing mounted there leaks out), and the daemon mounts a tmpfs on the shared
/// <c>dev</c> directory in it first, so that both nodes can use the same configured device path, as
/// two machines use the same /dev/drbd0. The ext4 mount and the writer live in that namespace; the
/// test reads the mount through <c>/proc/DAEMON/root</c>. nbdfuse runs in a namespace of its own
/// below it; the loop devices are the kernel's, and every one is detached when the test ends.
/// </summary>
internal sealed class SeedGroupCluster : IAsyncDisposable
{
    public const string Node1 = "ovz-node1";
    public const string Node2 = "ovz-node2";
    public const string Group = "drbddisk::r0";

    /// <summary>The size of each written file; its content is its name and a newline, repeated.</summary>
    public const int FileSize = 8192;

    private const long BackingSize = 64L << 20;
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(60);
    private readonly SeedNetwork _network;
    private readonly LabCluster _lab;
    private readonly Dictionary<string, Process> _sinks = new(StringComparer.Ordinal);
    private readonly string _autoFailback;
    private string[] _configArgs = [];

    private SeedGroupCluster(SeedNetwork network, string work, string autoFailback)
    {
        _network = network;
        Work = work;
        _autoFailback = autoFailback;
        _configArgs = ["--ha-dir", HaDirectory, "--drbd-conf", DrbdConf];
        _lab = new LabCluster(work, TandemProcess.Command);
        foreach (var (node, ns) in new[] { (Node1, network.Node1), (Node2, network.Node2) })
        {
            // Each daemon mounts a tmpfs on the shared dev directory first, in the mount namespace
            // `ip netns exec` gives it, then becomes the daemon (exec: the pid stays the daemon's).
            _lab.Add(new LabNodeOptions(node, NodeDirectory(node))
            {
                Placement = new NamespacePlacement(ns),
                ConfigArguments = _configArgs,
                DaemonArguments = ["--no-realtime"],
                Environment = new Dictionary<string, string?> { ["TANDEM_TEST_NODE"] = node },
                Wrapper = ["sh", "-c", "mount -t tmpfs -o size=1m,mode=0755 tandem-dev \"$0\" && exec \"$@\"", DevDirectory],
                DisposeGrace = TimeSpan.FromSeconds(30),
            });
        }
    }

    public string Work { get; }

    public string HaDirectory => Path.Combine(Work, "ha.d");

    public string DrbdConf => Path.Combine(HaDirectory, "drbd.conf");

    /// <summary>Each node mounts its own tmpfs here: its "/dev".</summary>
    public string DevDirectory => Path.Combine(Work, "dev");

    /// <summary>The device of r0 in drbd.conf, the same on both nodes, as the seed's /dev/drbd0.</summary>
    public string Device => Path.Combine(DevDirectory, "drbd0");

    /// <summary>The mount point (the seed's /vz).</summary>
    public string MountPoint => Path.Combine(Work, "vz");

    /// <summary>Every file the writers saw fsynced, one name a line, appended after the fsync returned.</summary>
    public string FsyncedLog => Path.Combine(Work, "fsynced");

    /// <summary>"NANOSECONDS NODE start|stop" for each start and stop of the service script.</summary>
    public string Records => Path.Combine(Work, "records");

    public string NodeDirectory(string node) => Path.Combine(Work, node);

    public string RunDirectory(string node) => Path.Combine(NodeDirectory(node), "run");

    public string AttachDirectory(string node) => Path.Combine(RunDirectory(node), "nbd", "attach");

    public string MailLog(string node) => Path.Combine(Work, "mail." + node);

    public string WriterPidFile(string node) => Path.Combine(Work, "writer." + node + ".pid");

    /// <summary>While this file exists, the service's stop fails on that node ("device is busy").</summary>
    public string FailStopFlag(string node) => Path.Combine(Work, "fail-stop." + node);

    /// <summary>While this file exists, the fence device fails.</summary>
    public string FenceFailsFlag => Path.Combine(Work, "fence-fails");

    public TandemProcess Daemon(string node) => TandemProcess.Of(_lab[node].Process!);

    public EventWatch Events(string node) => new(_lab[node].Events);

    /// <summary>Skips the test unless this is root with every tool the path needs.</summary>
    public static void RequireRootAndTools()
    {
        if (!IsRoot())
        {
            Assert.Skip("the seed's group on real storage needs root (network namespaces, loop devices, FUSE, mount)");
        }
        if (!File.Exists("/dev/fuse"))
        {
            Assert.Skip("/dev/fuse is missing");
        }
        if (VolumeAttacher.FuseLoopUnavailableReason() is { } why)
        {
            Assert.Skip($"attaching the volume needs the nbdfuse + loop path here: {why}");
        }
        ExternalTool.RequireOrSkip("truncate", "mkfs.ext4", "e2fsck", "mount", "umount", "ip", "sh", "setsid", "dd", "kill");
        if (!File.Exists(SinkPython) || !Directory.Exists("/usr/lib/python3/dist-packages/aiosmtpd"))
        {
            Assert.Skip("the SMTP sink needs aiosmtpd (Debian package python3-aiosmtpd; ./test.sh installs it as root)");
        }
    }

    /// <summary>
    /// Builds the cluster, makes the file system (a first run without groups: create-md, skip the
    /// initial sync, promote, attach, mkfs.ext4, detach, demote), then starts both daemons with the
    /// seed's group and the SMTP sinks. With <paramref name="fencing"/>, the daemons run on the
    /// native form of the same files (<c>tandem config convert</c>) with two additions the classic
    /// files cannot express here: a script fence device that "powers off" a node (kills its daemon,
    /// writer and nbdfuse; it fails while <see cref="FenceFailsFlag"/> exists), and a 1 s monitor
    /// of the service.
    /// </summary>
    public static async Task<SeedGroupCluster> StartAsync(string autoFailback, bool fencing = false)
    {
        RequireRootAndTools();
        var network = SeedNetwork.CreateOrSkip();
        var cluster = new SeedGroupCluster(network, TestPaths.NewTempDirectory("tandem-seed-e2e"), autoFailback);
        try
        {
            await cluster.WriteFilesAsync();
            await cluster.MakeFileSystemAsync();
            await File.WriteAllTextAsync(Path.Combine(cluster.HaDirectory, "haresources"),
                $"{Node1} drbddisk::r0 Filesystem::{cluster.Device}::{cluster.MountPoint}::ext4 vz MailTo::root@localhost\n",
                TestContext.Current.CancellationToken);
            if (fencing)
            {
                await cluster.ConvertWithFencingAsync();
            }
            await Task.WhenAll(cluster.StartSinkAsync(Node1), cluster.StartSinkAsync(Node2));
            await Task.WhenAll(cluster.StartDaemonAsync(Node1), cluster.StartDaemonAsync(Node2));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task ConvertWithFencingAsync()
    {
        var convert = await TandemProcess.RunAsync(["config", "convert", .. _configArgs]);
        Assert.True(convert.ExitCode == 0, convert.ToString());
        var fence = Path.Combine(Work, "fence");
        await File.WriteAllTextAsync(fence, $$"""
            #!/bin/sh
            # Fence script: fence ACTION NODE. "Power off": SIGKILL that node's daemon (checked by its
            # command line), its writer's session and its nbdfuse. Fails while the flag file exists.
            echo "$(date +%s%N) $2 $1" >> "{{Work}}/fence-calls"
            if [ -e "{{FenceFailsFlag}}" ]; then echo "the power switch does not answer"; exit 1; fi
            daemon=$(cat "{{Work}}/$2/daemon.pid" 2>/dev/null)
            if [ -n "$daemon" ] && tr '\0' ' ' < "/proc/$daemon/cmdline" 2>/dev/null | grep -q -- "--node $2 "; then kill -9 "$daemon"; fi
            writer=$(cat "{{Work}}/writer.$2.pid" 2>/dev/null)
            if [ -n "$writer" ]; then kill -9 -"$writer" 2>/dev/null; fi
            helper=$(cat "{{Work}}/$2/run/nbd/attach/r0.pid" 2>/dev/null)
            if [ -n "$helper" ]; then kill -9 "$helper" 2>/dev/null; fi
            echo "$(date +%s%N) $2 fenced" >> "{{Records}}"
            echo "$2 is off"
            exit 0

            """, TestContext.Current.CancellationToken);
        File.SetUnixFileMode(fence, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var toml = convert.Stdout.Replace("[fencing]\ndisabled = true", $$"""
            [fencing]

            [[fencing.device]]
            name = "power-switch"
            kind = "script"
            command = "{{fence}}"
            parameters = { timeout = "10" }
            """, StringComparison.Ordinal)
            .Replace("id = \"vz\"\n", "id = \"vz\"\nmonitor_interval = \"1s\"\nmonitor_timeout = \"10s\"\n", StringComparison.Ordinal);
        Assert.Contains("power-switch", toml, StringComparison.Ordinal);
        Assert.Contains("monitor_interval = \"1s\"", toml, StringComparison.Ordinal);
        var path = Path.Combine(Work, "tandem.toml");
        await File.WriteAllTextAsync(path, toml, TestContext.Current.CancellationToken);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _configArgs = ["--config", path];
        foreach (var node in _lab.Nodes)
        {
            node.ConfigArguments = _configArgs;
        }
    }

    private string Namespace(string node) => node == Node1 ? _network.Node1.Name : _network.Node2.Name;

    private async Task WriteFilesAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(Path.Combine(HaDirectory, "resource.d"));
        Directory.CreateDirectory(DevDirectory);
        Directory.CreateDirectory(MountPoint);
        foreach (var node in new[] { Node1, Node2 })
        {
            Directory.CreateDirectory(NodeDirectory(node));
            await ExternalTool.RunOkAsync("truncate", "-s", BackingSize.ToString(CultureInfo.InvariantCulture), Backing(node));
        }
        // The seed's ha.cf with test timings; its serial line, ping node, ipfail and log files are left out.
        await File.WriteAllTextAsync(Path.Combine(HaDirectory, "ha.cf"), $"""
            keepalive 200ms
            warntime 1
            deadtime 2
            initdead 10
            udpport 694
            ucast eth0 192.168.0.1
            ucast eth0 192.168.0.2
            ucast eth1 10.0.0.1
            ucast eth1 10.0.0.2
            auto_failback {_autoFailback}
            node {Node1}
            node {Node2}

            """, ct);
        var authkeys = Path.Combine(HaDirectory, "authkeys");
        await File.WriteAllTextAsync(authkeys, "auth 1\n1 sha1 seed-group-secret\n", ct);
        File.SetUnixFileMode(authkeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // No groups in the first run: the test makes the file system.
        await File.WriteAllTextAsync(Path.Combine(HaDirectory, "haresources"), "", ct);
        // The seed's drbd.conf; fast reconnects, and file backings instead of /dev/hda3.
        await File.WriteAllTextAsync(DrbdConf, $$"""
            resource r0 {
              protocol C;
              startup {
                degr-wfc-timeout 120;
              }
              disk {
                on-io-error detach;
              }
              net {
                connect-int 1;
                ping-int 1;
                timeout 30;
                after-sb-0pri discard-zero-changes;
                after-sb-1pri discard-secondary;
                after-sb-2pri disconnect;
              }
              syncer {
                rate 100M;
                al-extents 257;
              }
              on {{Node1}} {
                device    {{Device}} minor 0;
                disk      {{Backing(Node1)}};
                address   10.0.0.1:7788;
                meta-disk internal;
              }
              on {{Node2}} {
                device    {{Device}} minor 0;
                disk      {{Backing(Node2)}};
                address   10.0.0.2:7788;
                meta-disk internal;
              }
            }

            """, ct);

        // The service: a writer that fsyncs numbered files into the mount and logs each name after
        // its fsync returned. It runs in its own session, so that stop can end it with its dd.
        var writer = Path.Combine(Work, "writer");
        await File.WriteAllTextAsync(writer, $$"""
            #!/bin/sh
            # writer NODE: writes NODE-RUN-1, NODE-RUN-2, ... into the mount until killed.
            run=$(date +%s%N)
            i=0
            while :; do
              i=$((i + 1))
              name="$1-$run-$i"
              # Never write into the bare directory under the mount point: once unmounted, stop.
              [ -d "{{MountPoint}}/lost+found" ] || { echo "{{MountPoint}} is not mounted"; exit 1; }
              yes "$name" 2>/dev/null | head -c {{FileSize}} | dd of="{{MountPoint}}/$name" bs={{FileSize}} iflag=fullblock conv=fsync status=none || exit 1
              echo "$name" >> "{{FsyncedLog}}"
            done

            """, ct);
        var vz = Path.Combine(HaDirectory, "resource.d", "vz");
        await File.WriteAllTextAsync(vz, $$"""
            #!/bin/sh
            # The seed's "vz" service, stood in for by the writer: LSB start, stop, status.
            pidfile="{{Work}}/writer.$TANDEM_TEST_NODE.pid"
            running() { [ -e "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
            case "$1" in
              start)
                running && exit 0
                grep -q " {{MountPoint}} " /proc/mounts || { echo "{{MountPoint}} is not mounted"; exit 1; }
                echo "$(date +%s%N) $TANDEM_TEST_NODE start" >> "{{Records}}"
                setsid sh "{{writer}}" "$TANDEM_TEST_NODE" </dev/null >>"{{Work}}/writer.$TANDEM_TEST_NODE.out" 2>&1 &
                echo $! > "$pidfile"
                exit 0 ;;
              stop)
                if [ -e "{{Work}}/fail-stop.$TANDEM_TEST_NODE" ]; then echo "device is busy"; exit 1; fi
                if [ -e "$pidfile" ]; then
                  pid=$(cat "$pidfile")
                  # The writer's session: the shell, and the dd in flight. (dash's kill takes no "--".)
                  kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
                  while kill -0 -"$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
                  rm -f "$pidfile"
                fi
                echo "$(date +%s%N) $TANDEM_TEST_NODE stop" >> "{{Records}}"
                exit 0 ;;
              status)
                if running; then echo "vz is running"; exit 0; fi
                echo "vz is stopped"; exit 3 ;;
              *) echo "usage: vz start|stop|status"; exit 2 ;;
            esac

            """, ct);
        foreach (var script in new[] { writer, vz })
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private string Backing(string node) => Path.Combine(NodeDirectory(node), "hda3.img");

    private async Task MakeFileSystemAsync()
    {
        await TandemOkAsync(Node1, "volume", "create-md", "r0");
        await TandemOkAsync(Node2, "volume", "create-md", "r0");
        await Task.WhenAll(StartDaemonAsync(Node1), StartDaemonAsync(Node2));
        await Events(Node2).WaitAsync("volume.connection", "r0", TimeSpan.FromSeconds(30),
            where: e => e.Reason.Contains("just-created-both", StringComparison.Ordinal));
        var since = Events(Node2).Last;
        await TandemOkAsync(Node1, "volume", "new-current-uuid", "--clear-bitmap", "r0");
        await Events(Node2).WaitAsync("volume.disk", "r0", TimeSpan.FromSeconds(30), since, e => e.Data?["new"] == "UpToDate");
        await TandemOkAsync(Node1, "volume", "primary", "r0");
        var attach = await TandemOkAsync(Node1, "volume", "attach", "r0");
        var loop = attach.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim();
        Assert.StartsWith("/dev/loop", loop, StringComparison.Ordinal);
        await ExternalTool.RunOkAsync("mkfs.ext4", "-q", "-F", "-E", "nodiscard", "-L", "vz", loop);
        await TandemOkAsync(Node1, "volume", "detach", "r0");
        await TandemOkAsync(Node1, "volume", "secondary", "r0");
        await StopBothAsync();
    }

    /// <summary>An SMTP sink on localhost:25 inside the node's namespace, appending every message to <see cref="MailLog"/>.</summary>
    private async Task StartSinkAsync(string node)
    {
        const string Sink = """
            import signal, sys
            from aiosmtpd.controller import Controller
            class Sink:
                async def handle_DATA(self, server, session, envelope):
                    with open(sys.argv[1], "a") as f:
                        f.write("RCPT " + ",".join(envelope.rcpt_tos) + "\n" + envelope.content.decode("utf-8", "replace") + "\n.\n")
                    return "250 OK"
            for host in ("127.0.0.1", "::1"):
                Controller(Sink(), hostname=host, port=25).start()
            print("ready", flush=True)
            signal.pause()
            """;
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "netns", "exec", Namespace(node), SinkPython, "-c", Sink, MailLog(node) })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info)!;
        _sinks[node] = process;
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        if (line != "ready")
        {
            Assert.Fail($"the SMTP sink of {node} did not start: {(process.HasExited ? await error : "no 'ready'")}");
        }
    }

    private const string SinkPython = "/usr/bin/python3";

    /// <summary>Starts a node's daemon in its namespace, on its own tmpfs "/dev", and follows its events.</summary>
    public Task StartDaemonAsync(string node) => _lab[node].StartAsync(StartDeadline, TestContext.Current.CancellationToken);

    /// <summary>SIGTERM to both at once: each releases its groups and leaves.</summary>
    public async Task StopBothAsync()
    {
        foreach (var (node, code) in await _lab.StopAllAsync(StopDeadline, TestContext.Current.CancellationToken))
        {
            Assert.True(code == 0, $"{node}: {_lab[node].Process}");
        }
    }

    /// <summary>SIGTERM to one node: it releases its groups and leaves.</summary>
    public async Task StopDaemonAsync(string node)
    {
        var code = await _lab[node].StopAsync(StopDeadline, TestContext.Current.CancellationToken);
        Assert.True(code == 0, _lab[node].Process!.ToString());
    }

    /// <summary>
    /// A power cut of a node: its daemon, its writer (with the dd in flight) and its nbdfuse die
    /// together by SIGKILL. Nothing is released, unmounted or demoted.
    /// </summary>
    public async Task PowerLossAsync(string node)
    {
        var victims = new List<int>();
        if (ReadPid(WriterPidFile(node)) is { } writer)
        {
            // The writer's session (process group), with the dd in flight.
            victims.Add(-writer);
        }
        if (new VolumeAttacher(AttachDirectory(node)).Find("r0")?.HelperPid is { } helper)
        {
            victims.Add(helper);
        }
        await _lab[node].PowerCutAsync(victims, TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.True(_lab[node].Process!.ExitCode == 128 + 9, $"{node} should have died of SIGKILL: {_lab[node].Process}");
    }

    /// <summary>
    /// What a reboot does to a node that lost power: its loop device and the attachment record are
    /// gone (the test detaches them; its mount namespace died with its processes).
    /// </summary>
    public async Task RebootAsync(string node)
    {
        File.Delete(WriterPidFile(node));
        await new VolumeAttacher(AttachDirectory(node)).DetachAsync("r0", TestContext.Current.CancellationToken);
    }

    /// <summary>Runs <c>tandem ARGS</c> for a node (create-md also gets the configuration and the node name).</summary>
    public async Task<TandemProcess> TandemAsync(string node, params string[] args)
    {
        string[] extra = args is ["volume", "create-md", ..]
            ? ["--ha-dir", HaDirectory, "--drbd-conf", DrbdConf, "--node", node, "--run-dir", RunDirectory(node)]
            : ["--run-dir", RunDirectory(node)];
        return await TandemProcess.RunAsync([.. args, .. extra], TimeSpan.FromSeconds(90));
    }

    public async Task<TandemProcess> TandemOkAsync(string node, params string[] args)
    {
        var run = await TandemAsync(node, args);
        Assert.True(run.ExitCode == 0, $"{node}: {run}");
        return run;
    }

    public async Task<JsonObject> StatusAsync(string node)
    {
        using var client = _lab[node].Control();
        return JsonNode.Parse(await client.GetStatusJsonAsync(TestContext.Current.CancellationToken))!.AsObject();
    }

    public async Task<JsonObject> GroupStatusAsync(string node) =>
        (await StatusAsync(node))["groups"]!.AsArray().Single(g => (string?)g!["name"] == Group)!.AsObject();

    /// <summary>
    /// Waits until r0 on <paramref name="node"/> is connected with both disks UpToDate and nothing
    /// out of sync. The group starts on its preferred node before the replication link is up, and
    /// what is written before the peer connects reaches it only by the resync: a power loss before
    /// then loses those writes, as with DRBD without resource-level fencing (see docs/resources.md).
    /// </summary>
    public async Task WaitForInSyncAsync(string node)
    {
        var seen = "";
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var last = Events(node).Last;
            var status = await StatusAsync(node);
            var r = status["volumes"]!.AsArray().Single()!["replication"]!;
            seen = r.ToJsonString();
            var connected = (string?)r["connection"] == "Connected";
            if (connected && (string?)r["disk"] == "UpToDate" && (string?)r["peerDisk"] == "UpToDate" && (long)r["outOfSyncBytes"]! == 0)
            {
                return;
            }
            await Events(node).WaitAsync(connected ? "volume.sync.finished" : "volume.connection", "r0", TimeSpan.FromSeconds(30), last);
        }
        Assert.Fail($"r0 on {node} did not get in sync with its peer: {seen}");
    }

    /// <summary>The mount of the seed's /vz as the node's daemon sees it (its mount namespace), or null.</summary>
    public string? MountOf(string node)
    {
        var pid = _lab[node].Pid;
        var suffix = " " + MountPoint + " ";
        return File.ReadLines($"/proc/{pid}/mounts").FirstOrDefault(l => l.Contains(suffix, StringComparison.Ordinal));
    }

    /// <summary>The writer's fsynced file names, in order.</summary>
    public IReadOnlyList<string> Fsynced() =>
        File.Exists(FsyncedLog) ? [.. File.ReadAllLines(FsyncedLog).Where(l => l.Length > 0)] : [];

    /// <summary>Waits until the writer of <paramref name="node"/> has logged <paramref name="count"/> more fsynced files than <paramref name="before"/>.</summary>
    public Task WaitForFsyncedAsync(string node, int count, int before = 0) =>
        WaitForFileAsync(FsyncedLog, () => Fsynced().Skip(before).Count(n => n.StartsWith(node + "-", StringComparison.Ordinal)) >= count,
            TimeSpan.FromSeconds(30), $"{count} files fsynced by the writer on {node}");

    /// <summary>Waits for a mail in the node's sink whose text contains <paramref name="text"/>.</summary>
    public async Task<string> WaitForMailAsync(string node, string text)
    {
        await WaitForFileAsync(MailLog(node), () => File.Exists(MailLog(node)) && File.ReadAllText(MailLog(node)).Contains(text, StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), $"a mail to {node}'s sink containing \"{text}\"");
        return File.ReadAllText(MailLog(node));
    }

    /// <summary>
    /// Asserts that every file the writers saw fsynced is in the node's mount with its content, and
    /// returns how many were checked.
    /// </summary>
    public int AssertFsyncedFilesPresent(string node)
    {
        var root = $"/proc/{_lab[node].Pid}/root";
        var names = Fsynced();
        Assert.NotEmpty(names);
        var missing = new List<string>();
        foreach (var name in names)
        {
            var path = root + Path.Combine(MountPoint, name);
            if (!File.Exists(path))
            {
                missing.Add(name + " (missing)");
                continue;
            }
            var content = File.ReadAllText(path);
            if (content != Expected(name))
            {
                missing.Add($"{name} ({content.Length} bytes, not its content)");
            }
        }
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {names.Count} fsynced files are not intact on {node}: {string.Join(", ", missing.Take(20))}");
        return names.Count;
    }

    private static string Expected(string name)
    {
        var text = new StringBuilder(FileSize + name.Length + 1);
        while (text.Length < FileSize)
        {
            text.Append(name).Append('\n');
        }
        return text.ToString(0, FileSize);
    }

    /// <summary>The start and stop records of the service, in time order.</summary>
    public IReadOnlyList<(long Nanoseconds, string Node, string Action)> ReadRecords() =>
        !File.Exists(Records) ? []
        : [.. File.ReadAllLines(Records).Where(l => l.Length > 0).Select(l => l.Split(' '))
            .Select(p => (long.Parse(p[0], CultureInfo.InvariantCulture), p[1], p[2])).OrderBy(r => r.Item1)];

    /// <summary>Asserts from the records that the service never ran on both nodes (a power loss ends it on that node).</summary>
    public void AssertNeverOnBoth(params (long Nanoseconds, string Node)[] powerLosses)
    {
        var running = new HashSet<string>(StringComparer.Ordinal);
        var events = ReadRecords().Select(r => (r.Nanoseconds, r.Node, r.Action))
            .Concat(powerLosses.Select(p => (p.Nanoseconds, p.Node, Action: "lost")))
            .OrderBy(r => r.Nanoseconds);
        foreach (var (ns, node, action) in events)
        {
            if (action == "start")
            {
                Assert.True(running.Count == 0 || running.Contains(node),
                    $"{node} started the service at {ns} while it ran on {string.Join(", ", running)}:\n{File.ReadAllText(Records)}");
                running.Add(node);
            }
            else
            {
                running.Remove(node);
            }
        }
    }

    public static long Now() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static async Task WaitForFileAsync(string path, Func<bool> condition, TimeSpan timeout, string what)
    {
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName,
        };
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Signal(object? sender, FileSystemEventArgs e) => Volatile.Read(ref changed).TrySetResult();
        watcher.Changed += Signal;
        watcher.Created += Signal;
        watcher.EnableRaisingEvents = true;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        while (!condition())
        {
            var wait = Volatile.Read(ref changed).Task;
            try
            {
                // The watcher wakes us on each append; the one-second backstop covers a missed notification.
                await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(1), cts.Token)).WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new Xunit.Sdk.XunitException($"waited {timeout.TotalSeconds:0} s for {what}, in vain");
            }
            if (wait.IsCompleted)
            {
                Volatile.Write(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
    }

    /// <summary>The writers of this test still alive (found by their command line, whatever the pid files say).</summary>
    private List<int> WriterProcesses()
    {
        var writer = Path.Combine(Work, "writer");
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains(writer, StringComparer.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }
        return found;
    }

    private static int? ReadPid(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsRoot() => File.ReadAllLines("/proc/self/status")
        .FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";

    /// <summary>
    /// Stops everything, whatever state the test left: daemons (SIGTERM, then SIGKILL), writers,
    /// every attachment (loop device, nbdfuse), the sinks, the namespaces, the files.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var problems = new List<string>();
        try
        {
            await _lab.StopAllAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
        catch (LabTimeoutException)
        {
            problems.Add("a daemon ignored SIGTERM");
        }
        await _lab.DisposeAsync();
        foreach (var writer in WriterProcesses())
        {
            await ExternalTool.RunAsync("kill", ["-9", "--", "-" + writer.ToString(CultureInfo.InvariantCulture), writer.ToString(CultureInfo.InvariantCulture)]);
        }
        foreach (var node in new[] { Node1, Node2 })
        {
            try
            {
                // With its daemon's mount namespace gone, nothing holds the loop device: detach it and stop nbdfuse.
                await new VolumeAttacher(AttachDirectory(node)).DetachAsync("r0", CancellationToken.None);
            }
            catch (Exception e) when (e is AttachException or IOException or InvalidOperationException)
            {
                problems.Add($"{node}: detach failed: {e.Message}");
            }
        }
        foreach (var sink in _sinks.Values)
        {
            if (!sink.HasExited)
            {
                sink.Kill(entireProcessTree: true);
                await sink.WaitForExitAsync(CancellationToken.None);
            }
            sink.Dispose();
        }
        _network.Dispose();
        if (problems.Count == 0 && Environment.GetEnvironmentVariable("TANDEM_KEEP_SEED_WORK") != "1")
        {
            TestPaths.DeleteQuietly(Work);
        }
        else
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"cleanup of {Work} left: {string.Join("; ", problems)}");
        }
    }
}
