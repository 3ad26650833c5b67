using System.CommandLine;
using System.Text.Json;
using Tandem.Cli.Output;
using Tandem.Config;
using Tandem.Daemon.Control;
using Tandem.Daemon.Status;
using Tandem.Daemon.Volumes;
using Tandem.Replication.Metadata;

namespace Tandem.Cli.Commands;

/// <summary>
/// The replication commands of <c>tandem volume</c>, in the manner of drbdadm: create-md (offline),
/// up, down, primary, secondary, connect, disconnect, verify, invalidate, new-current-uuid, outdate,
/// resume-io, resize, status.
/// </summary>
internal static class VolumeReplicationCommands
{
    // A demotion waits for the peer's acknowledgement of every write; a silent peer is declared
    // lost only after ping-int + timeout (16 s by default). The usual 10 s would cut that short.
    private static readonly TimeSpan s_operationTimeout = TimeSpan.FromSeconds(60);

    private const string ResourceHelp = "The resource (r0: all of its volumes on this node), or one volume's export name (r0-1)";

    public static void AddTo(Command volume, CommonOptions common, HelpSections help)
    {
        volume.Add(CreateMetadata(common, help));
        volume.Add(Action(common, help, "up", "Open a replicated volume in the running daemon, connect it to its peer and export it.", """
            Details:
              The daemon brings every replicated volume up when it starts; 'up' is for one that was taken
              down, or that had no metadata then (after 'tandem volume create-md'). It opens the backing and
              its metadata, starts connecting to the peer (listening on this host's address, dialling the
              peer's) and serves the replicated volume on RUN_DIR/nbd/<name>.sock. It comes up Secondary.
              Fails with the reason (no metadata, backing missing, address taken) and exit code 1.
            """, ["tandem volume up r0"]));
        volume.Add(Action(common, help, "down", "Demote, stop the export and close a replicated volume in the running daemon.", """
            Details:
              Demotes first when Primary (waiting until the peer has acknowledged every write), then stops the
              NBD export, writes the bitmap and closes the backing and metadata. Refused while the volume is
              attached as a block device: unmount and 'tandem volume detach' first. The volume stays down until
              'tandem volume up' or the next daemon start.
            """, ["tandem volume down r0"]));
        var force = new Option<bool>("--force")
        {
            Description = "Make this node's data the current generation whatever its state (Inconsistent, Outdated): the initial sync source of a new pair, or a last resort when the peer's data is lost [default: only UpToDate data is promoted]",
        };
        volume.Add(Action(common, help, "primary", "Promote a replicated volume: this node accepts writes and replicates them.", """
            Details:
              Refused, with the reason, when the local data is not UpToDate (Inconsistent, Outdated, a resync
              target) or the peer is Primary. NBD clients that connect after the promotion may write; those
              connected before stay read-only (reconnect them). With --force the local data becomes a new
              generation: a connected peer then receives a full sync from here. Promoting without the peer
              starts a new generation at the first write, which a later connect resyncs to the peer.
            """, ["tandem volume primary r0", "tandem volume primary --force r0      # the initial sync source of a new pair"],
            [force], parse => new VolumeActionRequest(Force: parse.GetValue(force))));
        volume.Add(Action(common, help, "secondary", "Demote a replicated volume: writes are refused (EPERM) from then on.", """
            Details:
              Waits until every write is on the peer (its transfer log is empty) or the peer is declared lost,
              then demotes. Refused while the volume is attached as a block device.
            """, ["tandem volume secondary r0"]));
        var discard = new Option<bool>("--discard-my-data")
        {
            Description = "Split-brain recovery: this node is the victim; its diverging blocks are overwritten from the peer [default: keep them, and refuse to connect on split brain]",
        };
        volume.Add(Action(common, help, "connect", "Connect a StandAlone replicated volume to its peer (after disconnect, a refused handshake or a split brain).", """
            Details:
              The volume keeps retrying every connect-int until the handshake succeeds. The generation UUIDs
              then decide: nothing to do, a bitmap resync in one direction, a full sync, or split brain. An
              unresolved split brain drops the connection on both nodes (StandAlone, volume.split-brain event).
              Recover it by choosing a victim, whose changes since the split are lost: on the victim
              'secondary' then 'connect --discard-my-data'; on the survivor 'connect'.
            """, ["tandem volume connect r0", "tandem volume secondary r0 && tandem volume connect --discard-my-data r0   # on the split-brain victim"],
            [discard], parse => new VolumeActionRequest(DiscardMyData: parse.GetValue(discard))));
        volume.Add(Action(common, help, "disconnect", "Disconnect a replicated volume from its peer and stay StandAlone.", """
            Details:
              Writes on a Primary continue locally and are recorded in the bitmap; 'connect' resyncs them.
            """, ["tandem volume disconnect r0"]));
        var resync = new Option<bool>("--resync-from-here")
        {
            Description = "When differences are found, resync them at once with this node as the source (it must hold the right data; refused on a Secondary whose peer is Primary) [default: only mark them, as DRBD does]",
        };
        var wait = new Option<bool>("--wait")
        {
            Description = "Wait for the verify to finish and print how much was found out of sync [default: start it and return]",
        };
        volume.Add(Action(common, help, "verify", "Start an online verify: compare every block with the peer's by digest (verify-alg) and mark the differences out of sync.", """
            Details:
              Needs an established connection, UpToDate data and verify-alg (md5, sha1, sha256, sha512, crc32c)
              in the resource's net section. Runs in the daemon; its result is the volume.verify.finished event
              (outOfSyncBytes), which --wait prints. Differences are only marked: resync them with
              --resync-from-here on the node with the right data, or with disconnect + connect.
            """, ["tandem volume verify --wait r0", "tandem events --follow | grep volume.verify"],
            [resync, wait], parse => new VolumeActionRequest(ResyncFromHere: parse.GetValue(resync)), waitFor: parse => parse.GetValue(wait) ? "volume.verify." : null));
        volume.Add(Action(common, help, "invalidate", "Discard this node's data and resync all of it from the peer.", """
            Details:
              Needs this node Secondary and connected to an UpToDate peer. Marks every block out of sync, makes
              the local disk Inconsistent and reconnects: a full sync from the peer follows. For suspected
              corruption of the Secondary, or external metadata that survived a replaced data disk.
            """, ["tandem volume invalidate r0"]));
        var clearBitmap = new Option<bool>("--clear-bitmap")
        {
            Description = "Required: start the first generation on both nodes without any sync",
        };
        volume.Add(Action(common, help, "new-current-uuid", "Skip the initial full sync of a brand-new pair (DRBD's new-current-uuid --clear-bitmap).", """
            Details:
              Only for two replicas whose metadata was just created, which are connected and both Inconsistent,
              and whose backings are identical (both zeroed, e.g. new sparse files or freshly trimmed disks):
              both become UpToDate at once. On backings that differ, an online verify later finds the
              differences. Without --clear-bitmap it is refused.
            """, ["tandem volume new-current-uuid --clear-bitmap r0"],
            [clearBitmap], parse => new VolumeActionRequest(ClearBitmap: parse.GetValue(clearBitmap)),
            validate: parse => parse.GetValue(clearBitmap) ? null : "new-current-uuid needs --clear-bitmap (nothing else is supported)"));
        volume.Add(Action(common, help, "outdate", "Mark this node's copy Outdated: consistent but stale, so it refuses promotion without --force.", """
            Details:
              DRBD's 'drbdadm outdate'. Needs this node Secondary and disconnected from its peer (StandAlone or
              Connecting). The mark is written into the metadata, so it survives a restart. With 'fencing
              resource-only' the Primary's daemon does this to the peer by itself over the cluster channel
              when it loses the replication link; run it by hand when the peer is known to be ahead (for
              example before a planned split). It clears when the volume reconnects and resyncs from an
              UpToDate peer (or at once when both are in the same generation). Data that is already worse
              (Inconsistent, Diskless) is left as it is. Refused on a Primary and while connected.
            """, ["tandem volume outdate r0", "tandem volume disconnect r0 && tandem volume outdate r0"]));
        volume.Add(Action(common, help, "resume-io", "Thaw writes frozen by resource-and-stonith fencing (DRBD's resume-io).", """
            Details:
              With 'fencing resource-and-stonith' a Primary that loses its peer freezes writes (reads go on)
              until the peer is fenced (outdated over the cluster channel, or powered off). If fencing fails,
              writes stay frozen (volume.io event 'frozen') until the peer connects again or you resume them
              here. Resume only after making sure the peer cannot write: otherwise both nodes may accept
              writes and the next connect finds a split brain. Does nothing when I/O is not frozen.
            """, ["tandem volume resume-io r0", "tandem events --follow | grep volume.io"]));
        var size = new Option<string?>("--size")
        {
            Description = "The new size: bytes, or with a suffix K, M, G, T (powers of 1024), a multiple of 4 KiB [default: the most this node's backing allows after its metadata]",
            HelpName = "SIZE",
        };
        var assumeClean = new Option<bool>("--assume-clean")
        {
            Description = "Do not resync the grown area: both backings hold the same bytes there (both zeroed, e.g. new sparse space) [default: resync it from this node]",
        };
        var shrink = new Option<bool>("--force")
        {
            Description = "Allow shrinking: data beyond the new size is lost; shrink the filesystem first [default: refuse to shrink]",
        };
        volume.Add(Action(common, help, "resize", "Change the size of a replicated volume on both nodes, online, after its backings grew (DRBD's resize).", """
            Details:
              Grow the backing on BOTH nodes first (lvextend, truncate -s for a file), then run this on the
              Primary (or on either node when both are Secondary). Needs the volume connected, in sync and
              UpToDate on both nodes. Each node moves its internal metadata to the new end of its backing,
              both agree on the size (refused, with the peer's limit, if a backing is too small), the new size
              is recorded in the metadata and a volume.resize event is published on both nodes. The grown
              area is then resynced from here unless --assume-clean. Writes are held only for the switch.
              Without --size the volume takes all that this node's backing allows; if the peer's is smaller,
              the refusal says its limit: pass that as --size. NBD clients see the new size when they
              reconnect; a device from 'tandem volume attach' keeps the old size until it is detached and
              attached again (unmount first). Then grow the filesystem (resize2fs, xfs_growfs).
              Shrinking needs --force.
              If a node crashes while moving its metadata, restore the backing's old size and start again.
            """, ["truncate -s 2G /srv/r0.img   # on both nodes", "tandem volume resize r0", "tandem volume resize --size 1G --assume-clean r0",
                "tandem volume resize --size 512M --force r0   # shrink, after shrinking the filesystem"],
            [size, assumeClean, shrink], parse => new VolumeActionRequest(Force: parse.GetValue(shrink), AssumeClean: parse.GetValue(assumeClean),
                Size: ParseSize(parse.GetValue(size))),
            validate: parse => parse.GetValue(size) is { } text && ParseSize(text) is null
                ? $"--size {text} is not a size (bytes, or a number with K, M, G or T)"
                : null));
        volume.Add(CreateStatus(common, help));
    }

    /// <summary>Bytes from "4096", "512K", "1G" (powers of 1024); null when not a size.</summary>
    internal static long? ParseSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        text = text.Trim();
        var shift = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            _ => 0,
        };
        var digits = shift == 0 ? text : text[..^1];
        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return null;
        }
        return value > long.MaxValue >> shift ? null : value << shift;
    }

    private static Command Action(CommonOptions common, HelpSections help, string name, string description, string details, string[] examples,
        Option[]? options = null, Func<ParseResult, VolumeActionRequest>? request = null, Func<ParseResult, string?>? waitFor = null,
        Func<ParseResult, string?>? validate = null)
    {
        var resource = new Argument<string>("resource") { Description = ResourceHelp };
        var command = new Command(name, description) { resource, common.Json, common.RunDir };
        foreach (var option in options ?? [])
        {
            command.Add(option);
        }
        help.Add(command, details.TrimEnd() + "\n\n" + ExitCodes.HelpText + "\nExamples:\n" + string.Join('\n', examples.Select(e => "  " + e)) + "\n");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (validate?.Invoke(parse) is { } invalid)
            {
                error.WriteLine($"tandem volume {name}: {invalid}");
                return ExitCodes.Usage;
            }
            var target = parse.GetValue(resource)!;
            using var client = new ControlClient(parse.GetValue(common.RunDir)!) { RequestTimeout = s_operationTimeout };
            try
            {
                var waitKind = waitFor?.Invoke(parse);
                var since = waitKind is null ? 0 : (await client.GetEventsAsync(0, cancellationToken).ConfigureAwait(false)).LastOrDefault()?.Sequence ?? 0;
                var json = await client.RunVolumeActionAsync(target, name, request?.Invoke(parse), cancellationToken).ConfigureAwait(false);
                var answer = JsonSerializer.Deserialize(json, ControlJsonContext.Default.ReplicationActionResult)
                    ?? throw new JsonException("the daemon's answer is empty");
                if (parse.GetValue(common.Json) && waitKind is null)
                {
                    output.WriteLine(JsonOutput.Indented(answer));
                    return ExitCodes.Ok;
                }
                if (!parse.GetValue(common.Json))
                {
                    output.WriteLine(answer.Message);
                    foreach (var v in answer.Volumes)
                    {
                        output.WriteLine(ReplicationFormatter.Format(v));
                    }
                }
                if (waitKind is not null)
                {
                    var names = answer.Volumes.SelectMany(v => new[] { v.Name, v.Resource }).ToHashSet(StringComparer.Ordinal);
                    return await WaitForEventAsync(client, since, waitKind, names, parse.GetValue(common.Json), output, error, name, cancellationToken).ConfigureAwait(false);
                }
                return ExitCodes.Ok;
            }
            catch (DaemonUnreachableException e)
            {
                error.WriteLine($"tandem volume {name}: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (Exception e) when (e is ControlApiException or JsonException)
            {
                error.WriteLine($"tandem volume {name}: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    /// <summary>Follows the events until one of <paramref name="prefix"/> ends the command (finished, failed, stopped) for one of <paramref name="subjects"/>.</summary>
    private static async Task<int> WaitForEventAsync(ControlClient client, long since, string prefix, HashSet<string> subjects, bool json,
        TextWriter output, TextWriter error, string name, CancellationToken cancellationToken)
    {
        await foreach (var ev in client.FollowEventsAsync(since, cancellationToken).ConfigureAwait(false))
        {
            if (!ev.Kind.StartsWith(prefix, StringComparison.Ordinal) || ev.Kind.EndsWith(".started", StringComparison.Ordinal) || !subjects.Contains(ev.Subject))
            {
                continue;
            }
            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(ev, ControlJsonContext.Default.ClusterEvent));
            }
            else
            {
                output.WriteLine($"{ev.Kind} {ev.Subject}: {ev.Reason}");
            }
            return ev.Kind.EndsWith(".finished", StringComparison.Ordinal) ? ExitCodes.Ok : ExitCodes.Failure;
        }
        error.WriteLine($"tandem volume {name}: the daemon stopped before the result");
        return ExitCodes.Failure;
    }

    private static Command CreateMetadata(CommonOptions common, HelpSections help)
    {
        var resource = new Argument<string>("resource") { Description = ResourceHelp };
        var force = new Option<bool>("--force")
        {
            Description = "Overwrite existing metadata or a filesystem or swap signature [default: refuse, saying what was found]",
        };
        var node = new Option<string>("--node")
        {
            Description = "The node whose volumes these are (uname -n, as DRBD takes it)",
            HelpName = "NAME",
            DefaultValueFactory = _ => CommonOptions.MachineNodeName(),
        };
        var command = new Command("create-md", "Write fresh replication metadata on this node's backing of a resource (offline; no daemon needed).") { resource, force, node, common.RunDir };
        common.AddConfigInputs(command);
        help.Add(command, """
            Details:
              Reads the configuration, finds this node's volumes of the resource and writes new metadata:
              internal (meta-disk internal: at the end of the backing, about 32 KiB per GiB plus the activity
              log; the usable size shrinks by that much) or external (meta-disk PATH). The new replica has
              the just-created generation and is Inconsistent. Without --force it refuses, and says what it
              found, when the backing holds an ext2/3/4 or XFS filesystem, a swap area, or Tandem metadata
              already (re-creating metadata forgets which data is current). Refused while the running daemon
              (on --run-dir) has the volume up: 'tandem volume down' it first.

              A new pair: create-md on both nodes, 'tandem volume up' (or start the daemons), then either
              'tandem volume primary --force' on the node whose data counts (a full sync to the other), or
              for two empty backings 'tandem volume new-current-uuid --clear-bitmap' (no sync).
              A replaced disk or node: create-md on the new one and bring it up: it receives a full sync.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem volume create-md r0
              tandem volume create-md r0 --config /etc/tandem/tandem.toml --node node2
              tandem volume create-md --force r0      # the backing held an old filesystem to be replaced
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var target = parse.GetValue(resource)!;
            var nodeName = parse.GetValue(node)!;
            var result = ConfigLoader.Load(common.ToConfigOptions(parse, nodeName));
            if (!result.IsValid || result.Spec is null)
            {
                foreach (var diagnostic in result.Diagnostics)
                {
                    error.WriteLine(diagnostic.ToString());
                }
                error.WriteLine("tandem volume create-md: the configuration has errors (above)");
                return ExitCodes.Failure;
            }
            if (await UpInDaemonAsync(parse.GetValue(common.RunDir)!, target, cancellationToken).ConfigureAwait(false) is { } up)
            {
                error.WriteLine($"tandem volume create-md: {up} is up in the running daemon; take it down first (tandem volume down {target})");
                return ExitCodes.Failure;
            }
            try
            {
                var lines = await MetadataCreator.CreateAsync(result.Spec, result.Spec.FindNode(nodeName)?.Name ?? nodeName, target,
                    parse.GetValue(force), cancellationToken).ConfigureAwait(false);
                foreach (var line in lines)
                {
                    output.WriteLine(line);
                }
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is ArgumentException or MetadataException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"tandem volume create-md: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    /// <summary>The name of a volume of the resource that the daemon on the run directory has open, or null (also when no daemon runs).</summary>
    private static async Task<string?> UpInDaemonAsync(string runDirectory, string target, CancellationToken cancellationToken)
    {
        using var client = new ControlClient(runDirectory) { RequestTimeout = TimeSpan.FromSeconds(5) };
        try
        {
            var status = StatusDocument.Parse(await client.GetStatusJsonAsync(cancellationToken).ConfigureAwait(false));
            return (status.Section<VolumeStatus[]>("volumes") ?? [])
                .Where(v => v.Name == target || v.Resource == target)
                .Where(v => v.Replication.State == "up")
                .Select(v => v.Name)
                .FirstOrDefault();
        }
        catch (Exception e) when (e is DaemonUnreachableException or ControlApiException or JsonException)
        {
            return null;
        }
    }

    private static Command CreateStatus(CommonOptions common, HelpSections help)
    {
        var resource = new Argument<string?>("resource") { Description = "Only this resource or volume [default: every volume of this node]", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("status", "Show the replication state of this node's volumes, in the manner of /proc/drbd.") { resource, common.Json, common.RunDir };
        help.Add(command, """
            Details:
              One line per volume: cs (connection: StandAlone, Connecting, Connected, SyncSource, SyncTarget),
              ro (this node's role / the peer's), ds (disk states: UpToDate, Inconsistent, Outdated, DUnknown
              for an unreachable peer, ...), the protocol and the amount out of sync (oos). While a resync
              runs, a progress bar with what is left, the time to finish and the rate; then the generation
              UUIDs (current:bitmap:history). A volume that is not up says why (down, no metadata: run
              tandem volume create-md, backing missing). --json prints the volumes section of the status,
              whose 'replication' object has the same fields.

            """ + ExitCodes.HelpText + """

            Examples:
              tandem volume status
                r0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C oos:3072KiB
                    [======>.............] sync'ed: 31.2% (3.0/4.4 MiB left) finish: 0:00:12 speed: 256 KiB/s
              tandem volume status r0 --json | jq '.[0].replication.disk'
              watch -n1 tandem volume status
            """);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var target = parse.GetValue(resource);
            using var client = new ControlClient(parse.GetValue(common.RunDir)!);
            try
            {
                var json = await client.GetStatusJsonAsync(cancellationToken).ConfigureAwait(false);
                var volumes = (StatusDocument.Parse(json).Section<VolumeStatus[]>("volumes") ?? [])
                    .Where(v => target is null || v.Name == target || v.Resource == target)
                    .ToList();
                if (target is not null && volumes.Count == 0)
                {
                    error.WriteLine($"tandem volume status: no volume or resource named {target} on this node");
                    return ExitCodes.Failure;
                }
                if (parse.GetValue(common.Json))
                {
                    output.WriteLine(JsonOutput.Indented(volumes.ToArray()));
                    return ExitCodes.Ok;
                }
                if (volumes.Count == 0)
                {
                    output.WriteLine("no volumes on this node");
                }
                foreach (var volume in volumes)
                {
                    output.WriteLine(ReplicationFormatter.Format(volume));
                }
                return ExitCodes.Ok;
            }
            catch (DaemonUnreachableException e)
            {
                error.WriteLine($"tandem volume status: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (Exception e) when (e is ControlApiException or JsonException)
            {
                error.WriteLine($"tandem volume status: the daemon answered with an error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
