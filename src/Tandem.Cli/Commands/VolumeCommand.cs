using System.CommandLine;
using System.Text.Json;
using Tandem.Daemon.Control;
using Tandem.Daemon.Status;
using Tandem.Daemon.Subsystems;
using Tandem.Nbd.Attach;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem volume attach|detach|list</c>: a volume as a block device on this machine.</summary>
internal static class VolumeCommand
{
    // Attach waits for nbdfuse or nbd-client and the device (up to 15 s by itself); detach for the
    // loop device to let go. The control client's usual 10 s would cut them short.
    private static readonly TimeSpan s_operationTimeout = TimeSpan.FromSeconds(60);

    public static Command Create(CommonOptions common, HelpSections help)
    {
        var command = new Command("volume", "Replicated volumes of this node: create metadata, up/down, roles, connection, resync, status; attach a volume as a block device.");
        command.Add(CreateAttach(common, help));
        command.Add(CreateDetach(common, help));
        command.Add(CreateList(common, help));
        VolumeReplicationCommands.AddTo(command, common, help);
        help.Add(command, """
            Details:
              The daemon serves each volume of this node over NBD on RUN_DIR/nbd/<resource>.sock.
              'attach' turns that export into a block device (the kernel NBD client when the kernel has
              one, else nbdfuse + a loop device) and points the configured device (e.g. /dev/drbd0) at it;
              'detach' undoes it. See docs/volumes-nbd.md.
              A volume whose resource names a peer host is replicated (docs/replication.md): 'create-md'
              writes its metadata (offline), the daemon brings it up Secondary and connects it; 'primary',
              'secondary', 'connect', 'disconnect', 'verify', 'invalidate', 'new-current-uuid' and 'status'
              act on it as drbdadm's commands of the same names do.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem volume create-md r0        # on both nodes, once
              tandem volume primary --force r0  # on the node whose data counts: full sync to the peer
              tandem volume status
              tandem volume attach r0
              tandem volume detach r0
              tandem volume list
            """);
        return command;
    }

    private static Command CreateAttach(CommonOptions common, HelpSections help)
    {
        var name = new Argument<string>("resource") { Description = "The volume's export name: the resource name (r0), or <resource>-<volume> for a resource with several volumes" };
        var noLink = new Option<bool>("--no-link")
        {
            Description = "Do not point the configured device (e.g. /dev/drbd0) at the attached device [default: link it, unless it exists and is not a symlink, which is refused]",
        };
        var command = new Command("attach", "Make a volume a block device on this machine and print its path.") { name, noLink, common.Json, common.RunDir };
        help.Add(command, """
            Details:
              Asks the daemon on RUN_DIR to attach the export as a block device: /dev/nbdN through the
              kernel NBD client when the nbd module is loaded and nbd-client is installed, else /dev/loopN
              on a file that nbdfuse serves (in a private mount namespace). Prints the device, then the
              symlink made to it (the configured device), if any. Needs root. The attachment is recorded
              in RUN_DIR/nbd/attach/<resource>.json, so that 'detach' works even after the daemon died.
              Attach refuses to replace a configured device path that exists and is not a symlink (a real
              /dev/drbd0, or a regular file): use --no-link, or remove it.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem volume attach r0
                /dev/loop3
                /dev/drbd0 -> /dev/loop3
              tandem volume attach r0 --no-link --run-dir /tmp/n1/run
              mkfs.ext4 "$(tandem volume attach r0 | head -n1)"
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var resource = parse.GetValue(name)!;
            using var client = new ControlClient(parse.GetValue(common.RunDir)!) { RequestTimeout = s_operationTimeout };
            try
            {
                var device = await client.AttachVolumeAsync(resource, !parse.GetValue(noLink), cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(common.Json))
                {
                    output.WriteLine(JsonSerializer.Serialize(device, ControlJsonContext.Default.VolumeDocument));
                }
                else
                {
                    output.WriteLine(device.Device);
                    if (device.Link is not null)
                    {
                        output.WriteLine($"{device.Link} -> {device.Device}");
                    }
                }
                return ExitCodes.Ok;
            }
            catch (DaemonUnreachableException e)
            {
                error.WriteLine($"tandem volume attach: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (ControlApiException e)
            {
                error.WriteLine($"tandem volume attach: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static Command CreateDetach(CommonOptions common, HelpSections help)
    {
        var name = new Argument<string>("resource") { Description = "The volume's export name (as given to attach)" };
        var command = new Command("detach", "Undo 'attach': remove the symlink, the block device and its NBD client.") { name, common.Json, common.RunDir };
        help.Add(command, """
            Details:
              Unmount the file system first: a device in use is refused ("busy: is it mounted?").
              Asks the daemon on RUN_DIR to detach. When no daemon answers (it died, or is stopped), detaches
              directly from the record in RUN_DIR/nbd/attach/, or, without one, from what the system shows
              (loop devices on the attachment's FUSE file, nbdfuse processes on it). Detaching what is not
              attached succeeds and says so. Needs root.

            """ + ExitCodes.HelpText + """

            Examples:
              umount /mnt/data && tandem volume detach r0
              tandem volume detach r0 --run-dir /tmp/n1/run
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var resource = parse.GetValue(name)!;
            var runDirectory = parse.GetValue(common.RunDir)!;
            VolumeDocument result;
            using (var client = new ControlClient(runDirectory) { RequestTimeout = s_operationTimeout })
            {
                try
                {
                    result = await client.DetachVolumeAsync(resource, cancellationToken).ConfigureAwait(false);
                }
                catch (DaemonUnreachableException e)
                {
                    // The daemon is gone, but the attachment outlives it: undo it from the record.
                    error.WriteLine($"tandem volume detach: {e.Message}; detaching directly");
                    try
                    {
                        result = await DetachDirectlyAsync(runDirectory, resource, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception inner) when (inner is AttachException or IOException or UnauthorizedAccessException or ArgumentException)
                    {
                        error.WriteLine($"tandem volume detach: {inner.Message}");
                        return ExitCodes.Failure;
                    }
                }
                catch (ControlApiException e)
                {
                    error.WriteLine($"tandem volume detach: {e.Message}");
                    return ExitCodes.Failure;
                }
            }
            if (parse.GetValue(common.Json))
            {
                output.WriteLine(JsonSerializer.Serialize(result, ControlJsonContext.Default.VolumeDocument));
            }
            else
            {
                output.WriteLine(result.Device is null ? $"{resource} was not attached" : $"detached {resource} ({result.Device})");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateList(CommonOptions common, HelpSections help)
    {
        var command = new Command("list", "List this node's volumes: export, clients, attached device.") { common.Json, common.RunDir };
        help.Add(command, """
            Details:
              Prints the 'volumes' section of 'tandem status': one line per volume with its state
              (exported or unavailable, and why), its socket and TCP address, its clients and its
              attached device. With --json, that section as JSON.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem volume list
              tandem volume list --json | jq '.[0].attachedDevice'
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            using var client = new ControlClient(parse.GetValue(common.RunDir)!);
            try
            {
                var json = await client.GetStatusJsonAsync(cancellationToken).ConfigureAwait(false);
                var volumes = StatusDocument.Parse(json).Section<VolumeStatus[]>("volumes") ?? [];
                if (parse.GetValue(common.Json))
                {
                    output.WriteLine(Output.JsonOutput.Indented(volumes));
                    return ExitCodes.Ok;
                }
                if (volumes.Length == 0)
                {
                    output.WriteLine("no volumes on this node");
                }
                foreach (var volume in volumes)
                {
                    output.WriteLine(Output.StatusFormatter.FormatVolume(volume));
                }
                return ExitCodes.Ok;
            }
            catch (DaemonUnreachableException e)
            {
                error.WriteLine($"tandem volume list: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (Exception e) when (e is ControlApiException or JsonException)
            {
                error.WriteLine($"tandem volume list: the daemon answered with an error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static async Task<VolumeDocument> DetachDirectlyAsync(string runDirectory, string resource, CancellationToken cancellationToken)
    {
        if (resource.Contains('/', StringComparison.Ordinal) || resource.StartsWith('.'))
        {
            throw new ArgumentException($"'{resource}' is not a volume name");
        }
        var directory = VolumeExportSubsystem.AttachDirectory(Path.GetFullPath(runDirectory));
        if (!Directory.Exists(directory))
        {
            // Nothing was ever attached through this run directory: no record, no FUSE file to look for.
            return new VolumeDocument(resource, false);
        }
        var attacher = new VolumeAttacher(directory);
        var state = attacher.Find(resource);
        await attacher.DetachAsync(resource, cancellationToken).ConfigureAwait(false);
        return new VolumeDocument(resource, false)
        {
            Device = state?.DevicePath,
            Method = state?.Method.ToString(),
            Link = state?.Link,
            Socket = state?.SocketPath,
        };
    }
}
