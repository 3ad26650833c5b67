using System.Buffers.Binary;
using System.Text;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Daemon.Volumes;
using Tandem.Replication.Metadata;
using Xunit;

namespace Tandem.Daemon.Tests.Volumes;

/// <summary><c>tandem volume create-md</c>'s engine: what it refuses without --force and says it found, and what it writes.</summary>
public sealed class MetadataCreatorTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tdm-" + Guid.NewGuid().ToString("N")[..10]);

    public MetadataCreatorTests() => Directory.CreateDirectory(_root);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("ext4", "an ext2/3/4 filesystem")]
    [InlineData("xfs", "an XFS filesystem")]
    [InlineData("swap", "a swap area ('SWAPSPACE2' at offset 4086)")]
    public async Task A_signature_on_the_backing_is_refused_and_named_unless_forced(string kind, string found)
    {
        var spec = await SpecAsync("internal");
        var head = new byte[4096];
        switch (kind)
        {
            case "ext4":
                BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(1080), 0xEF53);
                break;
            case "xfs":
                Encoding.ASCII.GetBytes("XFSB").CopyTo(head, 0);
                break;
            default:
                Encoding.ASCII.GetBytes("SWAPSPACE2").CopyTo(head, 4086);
                break;
        }
        await using (var file = new FileStream(Backing, FileMode.Open, FileAccess.Write))
        {
            await file.WriteAsync(head, Ct);
        }

        var refused = await Assert.ThrowsAsync<MetadataException>(() => MetadataCreator.CreateAsync(spec, "alpha", "r0", force: false, Ct));
        Assert.Contains(found, refused.Message, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Message, StringComparison.Ordinal);
        Assert.StartsWith($"r0 ({Backing})", refused.Message, StringComparison.Ordinal);

        var created = Assert.Single(await MetadataCreator.CreateAsync(spec, "alpha", "r0", force: true, Ct));
        Assert.Contains("metadata created", created, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Existing_metadata_is_refused_and_opens_afterwards()
    {
        var spec = await SpecAsync("internal");
        var line = Assert.Single(await MetadataCreator.CreateAsync(spec, "alpha", "r0", force: false, Ct));
        Assert.Contains("internal, at the end of the backing", line, StringComparison.Ordinal);
        var again = await Assert.ThrowsAsync<MetadataException>(() => MetadataCreator.CreateAsync(spec, "alpha", "r0", force: false, Ct));
        Assert.Contains("existing Tandem metadata", again.Message, StringComparison.Ordinal);

        await using var backing = FileVolume.Open(Backing);
        var md = await ReplicaMetadata.OpenAsync(backing, null, Ct);
        Assert.Equal(Tandem.Replication.Uuids.GenerationUuids.JustCreated, md.Uuids.Current);
        Assert.True(md.UsableSize < backing.Size);
    }

    [Fact]
    public async Task External_metadata_leaves_the_whole_backing_usable()
    {
        var meta = Path.Combine(_root, "meta.img");
        await using (FileVolume.Create(meta, 1 << 20))
        {
        }
        var spec = await SpecAsync(meta);
        var line = Assert.Single(await MetadataCreator.CreateAsync(spec, "alpha", "r0", force: false, Ct));
        Assert.Contains($"external, on {meta}", line, StringComparison.Ordinal);
        Assert.Contains($"{4 << 20} of {4 << 20} bytes usable", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_names_and_indexed_metadata_are_refused_with_what_exists()
    {
        var spec = await SpecAsync("/dev/sdz1[0]");
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => MetadataCreator.CreateAsync(spec, "alpha", "r7", force: false, Ct));
        Assert.Contains("configured: r0", unknown.Message, StringComparison.Ordinal);
        var notHere = await Assert.ThrowsAsync<ArgumentException>(() => MetadataCreator.CreateAsync(spec, "gamma", "r0", force: false, Ct));
        Assert.Contains("has no host gamma", notHere.Message, StringComparison.Ordinal);
        var indexed = await Assert.ThrowsAsync<MetadataException>(() => MetadataCreator.CreateAsync(spec, "alpha", "r0", force: false, Ct));
        Assert.Contains("indexed external metadata", indexed.Message, StringComparison.Ordinal);

        var alone = spec with { Replicated = [spec.Replicated[0] with { Hosts = [spec.Replicated[0].Hosts[0]] }] };
        var local = await Assert.ThrowsAsync<ArgumentException>(() => MetadataCreator.CreateAsync(alone, "alpha", "r0", force: false, Ct));
        Assert.Contains("not replicated", local.Message, StringComparison.Ordinal);
    }

    private string Backing => Path.Combine(_root, "r0.img");

    private async Task<ClusterSpec> SpecAsync(string metaDisk)
    {
        await using (FileVolume.Create(Backing, 4 << 20))
        {
        }
        return new ClusterSpec
        {
            Name = "md",
            Nodes = [new NodeSpec("alpha"), new NodeSpec("beta")],
            Replicated =
            [
                new ReplicatedResourceSpec("r0")
                {
                    Hosts =
                    [
                        new ReplicaHostSpec("alpha", "127.0.0.1:7788", [new VolumeSpec(0, "/dev/drbd0", Backing, metaDisk)]),
                        new ReplicaHostSpec("beta", "127.0.0.2:7788", [new VolumeSpec(0, "/dev/drbd0", "/nonexistent", metaDisk)]),
                    ],
                    Disk = new DiskOptions { AlExtents = 7 },
                },
            ],
        };
    }
}
