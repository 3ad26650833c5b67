using System.Globalization;
using System.Text;
using Tandem.Core.Model;
using Tandem.Core.Os;

namespace Tandem.Resources.Agents;

/// <summary>
/// Built-in <c>Filesystem</c>: <c>Filesystem::DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]]</c> (or the
/// parameters <c>device</c>, <c>directory</c>, <c>fstype</c>, <c>options</c>). Start checks an ext2/3/4
/// file system with <c>e2fsck -p</c> (which only works when it was not cleanly unmounted) and mounts it;
/// stop unmounts, and when the mount point is busy stops its users as the OCF agent does (SIGTERM,
/// then SIGKILL) and retries until the stop timeout; monitor reads <c>/proc/mounts</c>.
/// </summary>
public sealed class FilesystemAgent : BuiltInAgent
{
    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    public FilesystemAgent(ResourceSpec spec, AgentContext context, TimeProvider? time = null)
        : base(spec, context, time)
    {
    }

    /// <summary>The block device (or what <c>mount</c> takes as source).</summary>
    public string? Device => Param("device", 0);

    /// <summary>The mount point.</summary>
    public string? Directory => Param("directory", 1) is { } d ? Path.TrimEndingDirectorySeparator(d) is { Length: > 0 } t ? t : "/" : null;

    /// <summary>The file system type, or null to let mount find it.</summary>
    public string? FsType => Param("fstype", 2);

    /// <summary>Mount options, or null.</summary>
    public string? Options => Param("options", 3);

    /// <summary>How long to wait after signalling users before retrying the unmount.</summary>
    /// <value>200 ms.</value>
    public TimeSpan KillWait { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <inheritdoc />
    public override Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Device is null || Directory is null
            ? new AgentResult(AgentCode.NotConfigured, "Filesystem needs a device and a directory")
            : AgentResult.Ok());

    /// <inheritdoc />
    protected override async Task<AgentResult> StartCoreAsync(CancellationToken cancellationToken)
    {
        if (Device is not { } device || Directory is not { } dir)
        {
            return new AgentResult(AgentCode.NotConfigured, "Filesystem needs a device and a directory");
        }
        if (IsMounted(dir))
        {
            return AgentResult.Ok($"{dir} already mounted");
        }
        System.IO.Directory.CreateDirectory(dir);
        var notes = new StringBuilder();
        if (NeedsE2fsck(FsType) && !(Spec.Parameters.TryGetValue("run_fsck", out var rf) && rf == "no"))
        {
            // e2fsck -p checks only what was not cleanly unmounted; 1 means errors fixed, 2 fixed and reboot advised.
            var (code, output) = await ExecAsync("e2fsck", ["-p", device], cancellationToken).ConfigureAwait(false);
            if (code is null or > 2)
            {
                return new AgentResult(AgentCode.GenericError, $"e2fsck -p {device} failed ({code?.ToString(CultureInfo.InvariantCulture) ?? "did not run"}): {output}");
            }
            notes.Append(CultureInfo.InvariantCulture, $"e2fsck -p: {code}; ");
        }
        List<string> args = [];
        if (FsType is { } t)
        {
            args.AddRange(["-t", t]);
        }
        if (Options is { } o)
        {
            args.AddRange(["-o", o]);
        }
        args.AddRange([device, dir]);
        var (rc, text) = await ExecAsync("mount", args, cancellationToken).ConfigureAwait(false);
        if (rc != 0)
        {
            return new AgentResult(rc == 32 && !File.Exists(device) ? AgentCode.NotInstalled : AgentCode.GenericError, $"mount {device} {dir} failed ({rc}): {text}");
        }
        return AgentResult.Ok($"{notes}mounted {device} on {dir}");
    }

    /// <inheritdoc />
    protected override async Task<AgentResult> StopCoreAsync(CancellationToken cancellationToken)
    {
        if (Directory is not { } dir)
        {
            return new AgentResult(AgentCode.NotConfigured, "Filesystem needs a directory");
        }
        var log = new StringBuilder();
        for (var attempt = 0; IsMounted(dir); attempt++)
        {
            var (rc, text) = await ExecAsync("umount", [dir], cancellationToken).ConfigureAwait(false);
            if (rc == 0 && !IsMounted(dir))
            {
                break;
            }
            // As the OCF agent: first ask the users to go, then force them; the stop timeout bounds the loop.
            var signal = attempt < 2 ? ProcessSignals.SigTerm : ProcessSignals.SigKill;
            var users = FindUsers(dir);
            foreach (var pid in users)
            {
                ProcessSignals.KillProcess(pid, signal);
            }
            log.Append(CultureInfo.InvariantCulture,
                $"umount failed ({rc}: {text}); sent {(signal == ProcessSignals.SigTerm ? "TERM" : "KILL")} to {users.Count} user(s) [{string.Join(' ', users)}]; ");
            await Task.Delay(KillWait, Time, cancellationToken).ConfigureAwait(false);
        }
        return AgentResult.Ok($"{log}{dir} unmounted");
    }

    /// <inheritdoc />
    protected override Task<AgentResult> MonitorCoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Directory is not { } dir ? new AgentResult(AgentCode.NotConfigured, "Filesystem needs a directory")
            : IsMounted(dir) ? AgentResult.Ok($"{dir} mounted")
            : new AgentResult(AgentCode.NotRunning, $"{dir} not mounted"));

    /// <summary>True when <paramref name="directory"/> is a mount point in <c>/proc/mounts</c>.</summary>
    /// <param name="directory">The mount point, without a trailing slash.</param>
    /// <returns>Whether it is mounted.</returns>
    public static bool IsMounted(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 1 && Unescape(fields[1]) == directory)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The processes using files under <paramref name="directory"/> (open files, working directory,
    /// root, executable, mapped files), found by scanning <c>/proc</c>; this process is never included.
    /// </summary>
    /// <param name="directory">The mount point.</param>
    /// <returns>Their process ids.</returns>
    public static IReadOnlyList<int> FindUsers(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var self = Environment.ProcessId;
        var prefix = directory == "/" ? "/" : directory + "/";
        bool Under(string? target) => target is not null && (target == directory || target.StartsWith(prefix, StringComparison.Ordinal));
        var users = new List<int>();
        foreach (var entry in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self || pid == 1)
            {
                continue;
            }
            try
            {
                var uses = Under(Link(Path.Combine(entry, "cwd"))) || Under(Link(Path.Combine(entry, "root")) is { } r && r != "/" ? r : null)
                    || Under(Link(Path.Combine(entry, "exe")));
                if (!uses)
                {
                    var fdDir = Path.Combine(entry, "fd");
                    uses = System.IO.Directory.Exists(fdDir) && System.IO.Directory.EnumerateFileSystemEntries(fdDir).Any(fd => Under(Link(fd)));
                }
                if (!uses)
                {
                    var maps = Path.Combine(entry, "maps");
                    uses = File.Exists(maps) && File.ReadLines(maps).Any(l => l.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 && Under(l[i..]));
                }
                if (uses)
                {
                    users.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked at it.
            }
        }
        return users;
    }

    private static string? Link(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool NeedsE2fsck(string? fsType) => fsType is "ext2" or "ext3" or "ext4";

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var sb = new StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            // /proc/mounts writes space, tab, newline and backslash as \ooo (octal).
            if (field[i] == '\\' && i + 3 < field.Length && field.AsSpan(i + 1, 3).IndexOfAnyExceptInRange('0', '7') < 0)
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private string? Param(string name, int position) =>
        Spec.Parameters.TryGetValue(name, out var v) && v.Length > 0 ? v
        : Spec.Arguments.Count > position && Spec.Arguments[position].Length > 0 ? Spec.Arguments[position]
        : null;
}
