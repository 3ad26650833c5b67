using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Core.Os;

namespace Tandem.Nbd.Attach;

/// <summary>
/// Makes an NBD export a block device on this machine and undoes it: through the kernel NBD client
/// when the driver is loaded, else through nbdfuse + a loop device. What is attached is recorded in
/// a state file per attachment (STATE_DIR/NAME.json), so that a restarted daemon, or an operator,
/// can detach; detach also finds and removes leftovers when the state file or the helper is gone.
/// </summary>
/// <remarks>
/// The FUSE mount of nbdfuse lives only in a private mount namespace made for it
/// (<c>unshare -m --propagation private</c>): a FUSE mount copied into another namespace never
/// ends its session, and nbdfuse would hang on unmount (platform.md). The loop device is global.
/// </remarks>
public sealed class VolumeAttacher
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(20);

    private readonly string _stateDirectory;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates an attacher.</summary>
    /// <param name="stateDirectory">Where state files and FUSE mount points live (the daemon uses RUN_DIR/nbd/attach).</param>
    /// <param name="logger">The logger, or null.</param>
    /// <param name="timeProvider">The clock, or null for the system clock.</param>
    public VolumeAttacher(string stateDirectory, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        _stateDirectory = Path.GetFullPath(stateDirectory);
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Whether the kernel NBD driver is loaded.</summary>
    public static bool KernelNbdAvailable => Directory.Exists("/sys/module/nbd");

    /// <summary>Why the FUSE path cannot work here, or null when it can (root, /dev/fuse, nbdfuse, losetup, unshare, nsenter).</summary>
    public static string? FuseLoopUnavailableReason()
    {
        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal)
            && !LibC.IsRoot)
        {
            return "attaching needs root (loop devices and mount namespaces)";
        }
        if (!File.Exists("/dev/fuse"))
        {
            return "/dev/fuse is missing";
        }
        if (!File.Exists("/dev/loop-control"))
        {
            return "/dev/loop-control is missing (no loop driver)";
        }
        foreach (var program in new[] { "nbdfuse", "losetup", "unshare", "nsenter", "setsid" })
        {
            if (!ChildProcessRunner.IsInstalled(program))
            {
                return $"{program} is not installed";
            }
        }
        return null;
    }

    /// <summary>Attaches the export behind <paramref name="socketPath"/> as a block device.</summary>
    /// <param name="socketPath">The export's Unix socket.</param>
    /// <param name="options">Name, export, link, method; null for defaults.</param>
    /// <param name="cancellationToken">Cancels the attach (what was done is undone).</param>
    /// <returns>The device.</returns>
    /// <exception cref="AttachException">A step failed; nothing stays attached.</exception>
    public async Task<AttachedDevice> AttachAsync(string socketPath, AttachOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        options ??= new AttachOptions();
        socketPath = Path.GetFullPath(socketPath);
        var name = options.Name ?? Path.GetFileNameWithoutExtension(socketPath);
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.StartsWith('.'))
        {
            throw new ArgumentException($"bad attachment name '{name}'", nameof(options));
        }
        if (Find(name) is { } existing)
        {
            throw new AttachException($"{name} is already attached as {existing.DevicePath}; detach it first");
        }
        Directory.CreateDirectory(_stateDirectory);
        var method = options.Method == AttachMethod.Auto
            ? (KernelNbdAvailable && ChildProcessRunner.IsInstalled("nbd-client") ? AttachMethod.KernelNbd : AttachMethod.FuseLoop)
            : options.Method;

        // Leftovers of an earlier attachment under this name (a crash between steps) go first.
        await CleanUpAsync(name, null, options.Timeout, cancellationToken).ConfigureAwait(false);

        AttachedDevice device;
        try
        {
            device = method == AttachMethod.KernelNbd
                ? await AttachKernelAsync(name, socketPath, options, cancellationToken).ConfigureAwait(false)
                : await AttachFuseAsync(name, socketPath, options, cancellationToken).ConfigureAwait(false);
            // Record first, link second: a crash in between leaves a state file that detach can use.
            WriteState(device);
            if (options.Link is { } link)
            {
                MakeLink(link, device.DevicePath);
                device = device with { Link = link };
                WriteState(device);
            }
        }
        catch
        {
            await CleanUpAsync(name, null, options.Timeout, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        Log.Attached(_logger, socketPath, device.DevicePath, method.ToString());
        return device;
    }

    /// <summary>Detaches an attachment completely: link, loop or nbd device, nbdfuse, state file.
    /// Works from the state file, and without it from what the system shows (loop devices on our
    /// FUSE file, nbdfuse processes on our mount point). Detaching what is not attached does nothing.</summary>
    /// <param name="name">The attachment's key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Completes when nothing of it is left.</returns>
    public async Task DetachAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var state = Find(name);
        await CleanUpAsync(name, state, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        if (state is not null)
        {
            Log.Detached(_logger, state.DevicePath, state.SocketPath);
        }
    }

    /// <summary>The attachment recorded under a name, or null.</summary>
    /// <param name="name">The key.</param>
    /// <returns>The recorded device.</returns>
    public AttachedDevice? Find(string name)
    {
        var path = StatePath(name);
        try
        {
            return JsonSerializer.Deserialize<AttachedDevice>(File.ReadAllText(path), s_json);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every recorded attachment.</summary>
    /// <returns>The attachments.</returns>
    public IReadOnlyList<AttachedDevice> List()
    {
        if (!Directory.Exists(_stateDirectory))
        {
            return [];
        }
        return [.. Directory.EnumerateFiles(_stateDirectory, "*.json")
            .Select(f => Find(Path.GetFileNameWithoutExtension(f)))
            .OfType<AttachedDevice>()
            .OrderBy(d => d.Name, StringComparer.Ordinal)];
    }

    /// <summary>The attachment whose socket is <paramref name="socketPath"/>, or null.</summary>
    /// <param name="socketPath">An export socket.</param>
    /// <returns>The recorded device.</returns>
    public AttachedDevice? FindBySocket(string socketPath)
    {
        var full = Path.GetFullPath(socketPath);
        return List().FirstOrDefault(d => string.Equals(d.SocketPath, full, StringComparison.Ordinal));
    }

    private string StatePath(string name) => Path.Combine(_stateDirectory, name + ".json");

    private string MountPoint(string name) => Path.Combine(_stateDirectory, name + ".fuse");

    private string PidFile(string name) => Path.Combine(_stateDirectory, name + ".pid");

    private void WriteState(AttachedDevice device)
    {
        var path = StatePath(device.Name);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(device, s_json));
        File.Move(temp, path, overwrite: true);
    }

    private async Task<AttachedDevice> AttachFuseAsync(string name, string socketPath, AttachOptions options, CancellationToken cancellationToken)
    {
        if (FuseLoopUnavailableReason() is { } why)
        {
            throw new AttachException($"cannot attach through nbdfuse + loop: {why}");
        }
        var mountPoint = MountPoint(name);
        Directory.CreateDirectory(mountPoint);
        var file = Path.Combine(mountPoint, "disk");
        var pidFile = PidFile(name);
        File.Delete(pidFile);
        var uri = $"nbd+unix:///{Uri.EscapeDataString(options.ExportName)}?socket={socketPath}";

        // setsid: the helper outlives us and is not hit by signals sent to our process group;
        // its output goes to a log file, not to pipes that die with us. setsid and unshare
        // exec in place, so the PID we see is nbdfuse's.
        var logFile = Path.Combine(_stateDirectory, name + ".log");
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("log=$1; shift; exec setsid unshare -m --propagation private nbdfuse \"$@\" </dev/null >\"$log\" 2>&1");
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add(logFile);
        info.ArgumentList.Add("-P");
        info.ArgumentList.Add(pidFile);
        if (options.ReadOnly)
        {
            info.ArgumentList.Add("-r");
        }
        info.ArgumentList.Add(file);
        info.ArgumentList.Add(uri);
        var helper = Process.Start(info) ?? throw new AttachException("could not start nbdfuse");
        var pid = helper.Id;
        // nbdfuse is our child: keeping the Process object until it exits lets the runtime reap
        // it, so that a detached helper does not stay behind as a zombie.
        var exited = helper.WaitForExitAsync(CancellationToken.None);
        _ = exited.ContinueWith(static (_, p) => ((Process)p!).Dispose(), helper,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        var ready = await WaitUntilAsync(() => File.Exists(pidFile) || exited.IsCompleted, options.Timeout, cancellationToken).ConfigureAwait(false);
        if (!ready || exited.IsCompleted)
        {
            var error = exited.IsCompleted ? ReadLog(logFile) : "timed out";
            throw new AttachException($"nbdfuse did not come up on {socketPath}: {error.Trim()}");
        }

        var losetup = new List<string> { "-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "losetup", "-f", "--show", "--direct-io=on" };
        if (options.ReadOnly)
        {
            losetup.Add("-r");
        }
        losetup.Add(file);
        var result = await AttachTools.RunAsync("nsenter", losetup, options.Timeout, cancellationToken).ConfigureAwait(false);
        if (!result.Ok)
        {
            throw new AttachException($"losetup on {file} failed: {result}");
        }
        var device = result.Output.Trim();
        if (!device.StartsWith("/dev/loop", StringComparison.Ordinal))
        {
            throw new AttachException($"losetup printed '{device}' instead of a loop device");
        }
        return new AttachedDevice(name, socketPath, device, AttachMethod.FuseLoop)
        {
            HelperPid = pid,
            MountPoint = mountPoint,
            Since = _timeProvider.GetUtcNow(),
        };
    }

    private async Task<AttachedDevice> AttachKernelAsync(string name, string socketPath, AttachOptions options, CancellationToken cancellationToken)
    {
        if (!ChildProcessRunner.IsInstalled("nbd-client"))
        {
            throw new AttachException("the kernel NBD driver needs nbd-client, which is not installed");
        }
        var free = Directory.EnumerateDirectories("/sys/block", "nbd*")
            .Select(Path.GetFileName)
            .OfType<string>()
            .OrderBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal)
            .FirstOrDefault(n => !File.Exists($"/sys/block/{n}/pid"))
            ?? throw new AttachException("no free /dev/nbdN device");
        var device = "/dev/" + free;
        var arguments = new List<string> { "-unix", socketPath, device, "-b", "4096" };
        if (options.ExportName.Length > 0)
        {
            arguments.Add("-N");
            arguments.Add(options.ExportName);
        }
        if (options.ReadOnly)
        {
            arguments.Add("-readonly");
        }
        var result = await AttachTools.RunAsync("nbd-client", arguments, options.Timeout, cancellationToken).ConfigureAwait(false);
        if (!result.Ok)
        {
            throw new AttachException($"nbd-client {device} failed: {result}");
        }
        if (!await WaitUntilAsync(() => File.Exists($"/sys/block/{free}/pid"), options.Timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new AttachException($"{device} did not become connected");
        }
        return new AttachedDevice(name, socketPath, device, AttachMethod.KernelNbd) { Since = _timeProvider.GetUtcNow() };
    }

    private async Task CleanUpAsync(string name, AttachedDevice? state, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (state?.Link is { } link)
        {
            RemoveLink(link, state.DevicePath);
        }

        if (state?.Method == AttachMethod.KernelNbd)
        {
            var result = await AttachTools.RunAsync("nbd-client", ["-d", state.DevicePath], timeout, cancellationToken).ConfigureAwait(false);
            if (!result.Ok)
            {
                Log.DetachStep(_logger, state.SocketPath, $"nbd-client -d {state.DevicePath}: {result}");
            }
        }

        // FUSE path: every loop device on our FUSE file, whatever the state file says.
        var file = Path.Combine(MountPoint(name), "disk");
        var loops = LoopDevicesBackedBy(file).ToList();
        if (state is { Method: AttachMethod.FuseLoop } && Path.GetFileName(state.DevicePath) is { } recorded
            && !loops.Contains(recorded) && ReadBackingFile(recorded) is { } backing
            && (backing == "/disk" || backing.StartsWith("/disk ", StringComparison.Ordinal)))
        {
            // Once nbdfuse died, its namespace and mount are gone and the kernel shows the
            // backing file relative to the orphaned FUSE root ("/disk"): trust the state file.
            loops.Add(recorded);
        }
        foreach (var loop in loops)
        {
            var result = await AttachTools.RunAsync("losetup", ["-d", "/dev/" + loop], timeout, cancellationToken).ConfigureAwait(false);
            if (!result.Ok)
            {
                Log.DetachStep(_logger, name, $"losetup -d /dev/{loop}: {result}");
            }
            // Loop detach is asynchronous: the FUSE file stays open until backing_file is gone,
            // and unmounting before that hangs.
            if (!await WaitUntilAsync(() => !File.Exists($"/sys/block/{loop}/loop/backing_file"), timeout, cancellationToken).ConfigureAwait(false))
            {
                throw new AttachException($"/dev/{loop} is still attached (busy: is it mounted?)");
            }
        }

        foreach (var pid in NbdfuseProcessesOn(file, state?.HelperPid))
        {
            await StopHelperAsync(name, pid, MountPoint(name), timeout, cancellationToken).ConfigureAwait(false);
        }

        File.Delete(PidFile(name));
        File.Delete(Path.Combine(_stateDirectory, name + ".log"));
        File.Delete(StatePath(name));
        try
        {
            if (Directory.Exists(MountPoint(name)))
            {
                Directory.Delete(MountPoint(name));
            }
        }
        catch (IOException ex)
        {
            Log.DetachStep(_logger, name, $"mount point not removed: {ex.Message}");
        }
    }

    private async Task StopHelperAsync(string name, int pid, string mountPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A clean unmount inside nbdfuse's namespace makes it exit; a signal is the fallback, and
        // SIGKILL the last resort (the FUSE connection is aborted when its server dies).
        var pidText = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var unmount = await AttachTools.RunAsync("nsenter", ["-t", pidText, "-m", "umount", mountPoint], timeout, cancellationToken).ConfigureAwait(false);
        if (!unmount.Ok)
        {
            Log.DetachStep(_logger, name, $"umount in nbdfuse's namespace: {unmount}");
        }
        if (await WaitForExitAsync(pid, timeout / 3, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        // A process that is already gone is fine: the wait below reports what matters.
        _ = ProcessSignals.KillProcess(pid, ProcessSignals.SigTerm);
        if (await WaitForExitAsync(pid, timeout / 3, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        Log.DetachStep(_logger, name, $"nbdfuse {pid} ignored SIGTERM; killing it");
        _ = ProcessSignals.KillProcess(pid, ProcessSignals.SigKill);
        if (!await WaitForExitAsync(pid, timeout / 3, cancellationToken).ConfigureAwait(false))
        {
            throw new AttachException($"nbdfuse {pid} does not exit");
        }
    }

    private static string ReadLog(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }

    private async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken) =>
        await WaitUntilAsync(() => !IsAlive(pid), timeout, cancellationToken).ConfigureAwait(false);

    private static bool IsAlive(int pid)
    {
        // A zombie (exited, not yet reaped by its parent) holds no mounts or files.
        try
        {
            var status = File.ReadAllText($"/proc/{pid}/stat");
            var close = status.LastIndexOf(')');
            return close < 0 || close + 2 >= status.Length || status[close + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? ReadBackingFile(string loop)
    {
        try
        {
            return File.ReadAllText($"/sys/block/{loop}/loop/backing_file").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static IEnumerable<string> LoopDevicesBackedBy(string file)
    {
        if (!Directory.Exists("/sys/block"))
        {
            yield break;
        }
        foreach (var dir in Directory.EnumerateDirectories("/sys/block", "loop*"))
        {
            string backing;
            try
            {
                backing = File.ReadAllText(Path.Combine(dir, "loop", "backing_file")).Trim();
            }
            catch (IOException)
            {
                continue;
            }
            if (string.Equals(backing, file, StringComparison.Ordinal)
                || string.Equals(backing, file + " (deleted)", StringComparison.Ordinal))
            {
                yield return Path.GetFileName(dir);
            }
        }
    }

    private static List<int> NbdfuseProcessesOn(string file, int? recorded)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (argv.Length > 0 && Path.GetFileName(argv[0]) == "nbdfuse" && argv.Contains(file, StringComparer.Ordinal) && IsAlive(pid))
            {
                pids.Add(pid);
            }
        }
        if (recorded is { } r && !pids.Contains(r) && IsAlive(r) && IsNbdfuse(r))
        {
            pids.Add(r);
        }
        return pids;
    }

    private static bool IsNbdfuse(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "nbdfuse";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void MakeLink(string link, string target)
    {
        if (File.Exists(link) || Directory.Exists(link))
        {
            var info = new FileInfo(link);
            if (info.LinkTarget is null)
            {
                throw new AttachException($"{link} exists and is not a symlink; refusing to replace it");
            }
            File.Delete(link);
        }
        else if (new FileInfo(link).LinkTarget is not null)
        {
            File.Delete(link); // a dangling symlink
        }
        var directory = Path.GetDirectoryName(link);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        File.CreateSymbolicLink(link, target);
    }

    private static void RemoveLink(string link, string target)
    {
        var info = new FileInfo(link);
        if (info.LinkTarget is { } current && string.Equals(current, target, StringComparison.Ordinal))
        {
            File.Delete(link);
        }
    }

    private async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = _timeProvider.GetTimestamp();
        while (true)
        {
            if (condition())
            {
                return true;
            }
            if (_timeProvider.GetElapsedTime(start) >= timeout)
            {
                return condition();
            }
            await Task.Delay(s_poll, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }
}
