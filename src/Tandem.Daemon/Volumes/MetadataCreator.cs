using System.Globalization;
using System.Text;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Daemon.Subsystems;
using Tandem.Replication.Metadata;

namespace Tandem.Daemon.Volumes;

/// <summary>
/// <c>tandem volume create-md</c>: writes fresh replication metadata for this node's volumes of a
/// resource, offline (no daemon needed). Without force it refuses, saying what it found, to overwrite
/// existing metadata or a filesystem or swap signature (the blkid magic numbers of ext2/3/4, XFS and
/// swap), because internal metadata takes the end of the backing and the first sync may overwrite
/// the rest.
/// </summary>
public static class MetadataCreator
{
    // A swap area's signature ends its first page (mkswap(8); blkid reads it for 4 KiB pages).
    private const int SwapSignatureOffset = 4096 - 10;

    /// <summary>Creates the metadata.</summary>
    /// <param name="spec">The cluster.</param>
    /// <param name="nodeName">This node.</param>
    /// <param name="name">The resource (all its volumes here) or one volume's export name (<c>r0-1</c>).</param>
    /// <param name="force">Overwrite what is there.</param>
    /// <param name="cancellationToken">Cancels the I/O.</param>
    /// <returns>One line per volume saying what was done.</returns>
    /// <exception cref="ArgumentException">No such resource or volume on this node.</exception>
    /// <exception cref="MetadataException">Refused (something is there) or the device is too small.</exception>
    /// <exception cref="IOException">A device cannot be opened, read or written.</exception>
    public static async Task<IReadOnlyList<string>> CreateAsync(ClusterSpec spec, string nodeName, string name, bool force, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (resource, volumes) = Find(spec, nodeName, name);
        if (!VolumeExportSubsystem.HasPeer(resource, resource.FindHost(nodeName)!))
        {
            // Its export serves the whole backing: metadata at its end would be overwritten.
            throw new ArgumentException($"resource {resource.Name} names no peer host with an address: it is not replicated, and needs no metadata");
        }
        var lines = new List<string>();
        foreach (var volume in volumes)
        {
            var label = volumes.Count > 1 || !string.Equals(name, resource.Name, StringComparison.Ordinal)
                ? string.Create(CultureInfo.InvariantCulture, $"{resource.Name}-{volume.Number}")
                : resource.Name;
            if (string.Equals(volume.Disk, "none", StringComparison.Ordinal))
            {
                lines.Add($"{label}: disk none on this node: no metadata to create");
                continue;
            }
            lines.Add(await CreateOneAsync(resource, volume, label, force, cancellationToken).ConfigureAwait(false));
        }
        return lines;
    }

    /// <summary>Detects a swap signature (<c>SWAPSPACE2</c> or the old <c>SWAP-SPACE</c>) at the end of the first 4 KiB page.</summary>
    /// <param name="backing">The backing.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A description, or null.</returns>
    public static async Task<string?> DetectSwapAsync(IBlockVolume backing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backing);
        if (backing.Size < 4096)
        {
            return null;
        }
        var tail = new byte[10];
        await backing.ReadAsync(SwapSignatureOffset, tail, cancellationToken).ConfigureAwait(false);
        var text = Encoding.ASCII.GetString(tail);
        return text is "SWAPSPACE2" or "SWAP-SPACE" ? $"a swap area ('{text}' at offset {SwapSignatureOffset})" : null;
    }

    private static async Task<string> CreateOneAsync(ReplicatedResourceSpec resource, VolumeSpec volume, string label, bool force, CancellationToken cancellationToken)
    {
        var backing = OpenDevice(volume.Disk, "backing");
        await using (backing.ConfigureAwait(false))
        {
            var metaPath = VolumeExportSubsystem.MetadataDevice(volume);
            if (metaPath is not null && metaPath.Contains('[', StringComparison.Ordinal))
            {
                throw new MetadataException($"{label}: indexed external metadata ({volume.MetaDisk}) is not supported; use a whole device or file (meta-disk PATH)");
            }
            var external = metaPath is null ? null : OpenDevice(metaPath, "metadata device");
            try
            {
                if (!force && await DetectSwapAsync(backing, cancellationToken).ConfigureAwait(false) is { } swap)
                {
                    throw new MetadataException($"{label} ({volume.Disk}): found {swap} on the backing; creating metadata marks it Inconsistent and a sync may overwrite it; use --force to proceed");
                }
                var alExtents = (volume.DiskOptions ?? resource.Disk).AlExtents;
                ReplicaMetadata md;
                try
                {
                    md = await ReplicaMetadata.CreateAsync(backing, external, alExtents, force, cancellationToken).ConfigureAwait(false);
                }
                catch (MetadataException e)
                {
                    throw new MetadataException($"{label} ({volume.Disk}): {e.Message}", e);
                }
                var where = metaPath is null ? "internal, at the end of the backing" : $"external, on {metaPath}";
                return string.Create(CultureInfo.InvariantCulture,
                    $"{label}: metadata created on {volume.Disk} ({where}); {md.UsableSize} of {backing.Size} bytes usable; Inconsistent until its first sync");
            }
            finally
            {
                if (external is not null)
                {
                    await external.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static FileVolume OpenDevice(string path, string what)
    {
        try
        {
            return FileVolume.Open(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new IOException($"cannot open the {what} {path}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new IOException($"cannot open the {what} {path}: {e.Message}", e);
        }
    }

    private static (ReplicatedResourceSpec Resource, IReadOnlyList<VolumeSpec> Volumes) Find(ClusterSpec spec, string nodeName, string name)
    {
        foreach (var resource in spec.Replicated)
        {
            var host = resource.FindHost(nodeName);
            if (string.Equals(resource.Name, name, StringComparison.Ordinal))
            {
                return host is null
                    ? throw new ArgumentException($"resource {name} has no host {nodeName} (its hosts: {string.Join(", ", resource.Hosts.Select(h => h.Name))})")
                    : (resource, host.Volumes);
            }
            if (host is not null)
            {
                foreach (var volume in host.Volumes)
                {
                    if (string.Equals(string.Create(CultureInfo.InvariantCulture, $"{resource.Name}-{volume.Number}"), name, StringComparison.Ordinal))
                    {
                        return (resource, [volume]);
                    }
                }
            }
        }
        var known = spec.Replicated.Select(r => r.Name).ToList();
        throw new ArgumentException($"no replicated resource named {name} (configured: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
    }
}
