using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tandem.Core.Model;
using Tandem.Core.Volumes;
using Tandem.Replication.Metadata;
using Tandem.Replication.Transport;
using Tandem.Testing;

namespace Tandem.Replication.Tests.Support;

/// <summary>How the two replicas of a <see cref="Cluster"/> reach each other.</summary>
public enum PeerTransportKind
{
    /// <summary>Loopback TCP (through cuttable proxies when the test needs a partition).</summary>
    Tcp,

    /// <summary>An <see cref="InMemoryPeerLink"/>: no socket.</summary>
    InMemory,
}

/// <summary>Two replicas on loopback TCP (or an in-memory link) over temp-file backings, sharing one event recorder.</summary>
internal sealed class Cluster : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-repl-").FullName;

    /// <summary>The wire between the nodes (only with <see cref="PeerTransportKind.InMemory"/>).</summary>
    public InMemoryPeerLink? Link { get; private set; }

    public RecordingEventSink Events { get; } = new();

    public Node A { get; private set; } = null!;

    public Node B { get; private set; } = null!;

    /// <summary>The proxies each node reaches its peer through (only with <c>proxied</c>).</summary>
    public CuttableProxy? ToA { get; private set; }

    /// <summary>The proxy in front of beta.</summary>
    public CuttableProxy? ToB { get; private set; }

    /// <summary>Cuts the network between the nodes (both directions) until <see cref="Heal"/>.</summary>
    public void Partition()
    {
        if (Link is not null)
        {
            Link.Cut();
            return;
        }
        ToA!.Partition();
        ToB!.Partition();
    }

    public void Heal()
    {
        if (Link is not null)
        {
            Link.Restore();
            return;
        }
        ToA!.Heal();
        ToB!.Heal();
    }

    /// <summary>Keeps the connections open but delivers nothing (a frozen peer, a silent network) until <see cref="Heal"/>.</summary>
    public void Silence()
    {
        if (Link is not null)
        {
            Link.Pause();
            return;
        }
        ToA!.BlackHole();
        ToB!.BlackHole();
    }

    public static async Task<Cluster> StartAsync(long sizeA = 8 << 20, long sizeB = 8 << 20, ReplicationProtocol protocol = ReplicationProtocol.C,
        Func<ReplicatedVolumeOptions, ReplicatedVolumeOptions>? tweak = null, bool randomDataOnA = false, bool proxied = false, long? visibleSize = null,
        int alExtents = 67, PeerTransportKind transport = PeerTransportKind.Tcp)
    {
        var c = new Cluster();
        var (pa, pb) = (TestPorts.Next(), TestPorts.Next());
        int peerOfA = pb, peerOfB = pa;
        if (transport == PeerTransportKind.InMemory)
        {
            c.Link = new InMemoryPeerLink();
        }
        else if (proxied)
        {
            c.ToA = new CuttableProxy(new IPEndPoint(IPAddress.Loopback, pa));
            c.ToB = new CuttableProxy(new IPEndPoint(IPAddress.Loopback, pb));
            (peerOfA, peerOfB) = (c.ToB.EndPoint.Port, c.ToA.EndPoint.Port);
        }
        c.A = await c.CreateNodeAsync("alpha", sizeA, pa, peerOfA, protocol, o => (tweak?.Invoke(o) ?? o) with { PeerName = "beta" }, randomDataOnA, visibleSize, alExtents);
        c.B = await c.CreateNodeAsync("beta", sizeB, pb, peerOfB, protocol, o => (tweak?.Invoke(o) ?? o) with { PeerName = "alpha" }, false, visibleSize, alExtents);
        return c;
    }

    /// <summary>Two connected, UpToDate replicas (initial sync skipped), alpha Primary.</summary>
    public static async Task<Cluster> SyncedAsync(ReplicationProtocol protocol = ReplicationProtocol.C, Func<ReplicatedVolumeOptions, ReplicatedVolumeOptions>? tweak = null,
        bool proxied = false, long? visibleSize = null, long size = 8 << 20, int alExtents = 67, PeerTransportKind transport = PeerTransportKind.Tcp)
    {
        var c = await StartAsync(size, size, protocol: protocol, tweak: tweak, proxied: proxied, visibleSize: visibleSize, alExtents: alExtents, transport: transport);
        await c.ConnectBothAsync();
        await c.WaitForAsync("established", () => c.A.Volume.Replication == ReplicationState.Established && c.B.Volume.Replication == ReplicationState.Established);
        await c.A.Volume.SkipInitialSyncAsync(CancellationToken.None);
        await c.WaitSyncedAsync();
        await c.A.Volume.PromoteAsync(false, CancellationToken.None);
        await c.WaitForAsync("beta sees alpha Primary", () => c.B.Volume.PeerRole == Role.Primary);
        return c;
    }

    private async Task<Node> CreateNodeAsync(string name, long size, int port, int peerPort, ReplicationProtocol protocol,
        Func<ReplicatedVolumeOptions, ReplicatedVolumeOptions>? tweak, bool randomData, long? visibleSize, int alExtents)
    {
        var path = Path.Combine(_dir, name + ".img");
        var backing = FileVolume.Create(path, size);
        if (randomData)
        {
            var junk = RandomNumberGenerator.GetBytes((int)size);
            await backing.WriteAsync(0, junk, false, CancellationToken.None);
        }
        await ReplicaMetadata.CreateAsync(new FaultyVolume(backing) { SizeLimit = visibleSize }, null, alExtents, force: false, CancellationToken.None);
        var options = new ReplicatedVolumeOptions
        {
            Resource = "r0",
            NodeName = name,
            Listen = new IPEndPoint(IPAddress.Loopback, port),
            Peer = new IPEndPoint(IPAddress.Loopback, peerPort),
            Protocol = protocol,
            ResyncRate = 200L << 20,
            ConnectInterval = TimeSpan.FromMilliseconds(200),
            ProgressInterval = TimeSpan.FromMilliseconds(100),
        };
        options = tweak?.Invoke(options) ?? options;
        var node = new Node(name, path, backing, options, Events) { SizeLimit = visibleSize, Transport = Link is null ? null : name == "alpha" ? Link.First : Link.Second };
        await node.OpenAsync();
        return node;
    }


    /// <summary>Connects both and waits until the replication state is reached on both.</summary>
    public async Task ConnectBothAsync()
    {
        await A.Volume.ConnectAsync();
        await B.Volume.ConnectAsync();
        await WaitForAsync("both connected", () => A.Volume.Connection == ConnectionState.Connected && B.Volume.Connection == ConnectionState.Connected);
    }

    /// <summary>Waits (on events, with a deadline) until a condition over the volumes holds.</summary>
    public async Task WaitForAsync(string what, Func<bool> condition, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"timed out waiting for {what}; A: {A.Volume.GetStatus()} B: {B.Volume.GetStatus()}; events: {string.Join(" | ", Events.Events.Select(e => $"{e.Node} {e.Kind} {e.Reason}"))}");
            }
            // Every state change publishes an event: wake on the next one (or re-check shortly).
            var last = Events.Last;
            try
            {
                await Events.WaitAsync(what, e => true, last, Math.Min(remaining.TotalSeconds, 0.05));
            }
            catch (TimeoutException)
            {
            }
        }
    }

    public async Task WaitSyncedAsync()
    {
        await WaitForAsync("both UpToDate and Established", () =>
            A.Volume.Disk == DiskState.UpToDate && B.Volume.Disk == DiskState.UpToDate
            && A.Volume.Replication == ReplicationState.Established && B.Volume.Replication == ReplicationState.Established);
    }

    /// <summary>SHA-256 of the first <paramref name="length"/> bytes of a node's backing file.</summary>
    public static string Hash(Node n, long length)
    {
        using var f = new FileStream(n.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buf = new byte[length];
        f.ReadExactly(buf);
        return Convert.ToHexString(SHA256.HashData(buf));
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        if (ToA is not null)
        {
            await ToA.DisposeAsync();
            await ToB!.DisposeAsync();
        }
        Directory.Delete(_dir, recursive: true);
    }
}

internal sealed class Node(string name, string path, FileVolume backing, ReplicatedVolumeOptions options, RecordingEventSink events) : IAsyncDisposable
{
    public string Name { get; } = name;

    public string Path { get; } = path;

    public FileVolume Backing { get; private set; } = backing;

    /// <summary>The backing as the volume sees it: fails on demand.</summary>
    public FaultyVolume Faulty { get; private set; } = new(backing);

    /// <summary>The size the backing shows (grown online by setting <see cref="FaultyVolume.SizeLimit"/>).</summary>
    public long? SizeLimit
    {
        get => Faulty.SizeLimit;
        init => Faulty.SizeLimit = value;
    }

    public ReplicatedVolume Volume { get; private set; } = null!;

    public ReplicatedVolumeOptions Options { get; } = options;

    /// <summary>The node's end of an in-memory link, or null for TCP on the options' addresses.</summary>
    public InMemoryPeerTransport? Transport { get; init; }

    public async Task OpenAsync()
    {
        Volume = await ReplicatedVolume.OpenAsync(Options, Faulty, null, events, null, null, Transport, CancellationToken.None);
    }

    /// <summary>Power loss: the volume stops dead; the backing is reopened later by <see cref="RestartAsync"/>.</summary>
    public Task CrashAsync() => Volume.CrashAsync();

    public async Task RestartAsync()
    {
        await Backing.DisposeAsync();
        Backing = FileVolume.Open(Path);
        Faulty = new FaultyVolume(Backing) { SizeLimit = Faulty.SizeLimit };
        await OpenAsync();
    }

    /// <summary>A dead disk replaced: stop the replica, a fresh (zeroed) backing of the same size, create-md on it, start.</summary>
    public async Task ReplaceDiskAsync()
    {
        await Volume.DisposeAsync();
        await Backing.DisposeAsync();
        var size = new FileInfo(Path).Length;
        File.Delete(Path);
        Backing = FileVolume.Create(Path, size);
        await ReplicaMetadata.CreateAsync(new FaultyVolume(Backing) { SizeLimit = Faulty.SizeLimit }, null, 67, force: false, CancellationToken.None);
        Faulty = new FaultyVolume(Backing) { SizeLimit = Faulty.SizeLimit };
        await OpenAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Volume.DisposeAsync();
        await Backing.DisposeAsync();
    }
}
