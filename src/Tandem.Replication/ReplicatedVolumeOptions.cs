using System.Net;
using Tandem.Core.Model;
using Tandem.Replication.Uuids;

namespace Tandem.Replication;

/// <summary>How one replica of a resource runs.</summary>
public sealed record ReplicatedVolumeOptions
{
    /// <summary>The resource name (event subject, log scope).</summary>
    public required string Resource { get; init; }

    /// <summary>This node's name.</summary>
    public required string NodeName { get; init; }

    /// <summary>Where this node listens for its peer.</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>Where the peer listens.</summary>
    public required IPEndPoint Peer { get; init; }

    /// <summary>The replication protocol.</summary>
    /// <value>C.</value>
    public ReplicationProtocol Protocol { get; init; } = ReplicationProtocol.C;

    /// <summary>The after-sb policies.</summary>
    public SplitBrainPolicies Policies { get; init; } = new();

    /// <summary>cram-hmac-alg (sha1, sha256, sha512, md5), or null.</summary>
    public string? CramHmacAlg { get; init; }

    /// <summary>The shared secret; when set, an unauthenticated peer is refused.</summary>
    public string? SharedSecret { get; init; }

    /// <summary>The fixed resync rate in bytes per second.</summary>
    /// <value>250 KiB/s.</value>
    public long ResyncRate { get; init; } = 250 * 1024;

    /// <summary>Writes per epoch before a barrier is forced (max-epoch-size).</summary>
    /// <value>2048.</value>
    public int MaxEpochSize { get; init; } = 2048;

    /// <summary>Pause between connection attempts (connect-int).</summary>
    /// <value>10 seconds.</value>
    public TimeSpan ConnectInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often resync progress events are published.</summary>
    /// <value>1 second.</value>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The online-verify digest (verify-alg: md5, sha1, sha256, sha512, crc32c), or null: verify refused.</summary>
    public string? VerifyAlg { get; init; }

    /// <summary>The checksum-resync digest (csums-alg), or null: resync sends every out-of-sync block.</summary>
    public string? CsumsAlg { get; init; }

    /// <summary>Builds options from a resource of the configuration.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="localHost">This host's name (an <c>on HOST</c> section).</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">The resource does not name this host and exactly one peer.</exception>
    public static ReplicatedVolumeOptions FromSpec(ReplicatedResourceSpec spec, string localHost)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var me = spec.FindHost(localHost) ?? throw new ArgumentException($"resource {spec.Name} has no host {localHost}", nameof(localHost));
        var peers = spec.Hosts.Where(h => h != me).ToList();
        if (peers.Count != 1)
        {
            throw new ArgumentException($"resource {spec.Name} must have exactly one peer of {localHost}; it has {peers.Count}", nameof(spec));
        }
        return new ReplicatedVolumeOptions
        {
            Resource = spec.Name,
            NodeName = me.Name,
            Listen = IPEndPoint.Parse(me.Address),
            Peer = IPEndPoint.Parse(peers[0].Address),
            Protocol = spec.Protocol,
            Policies = new SplitBrainPolicies(spec.Net.AfterSb0Pri, spec.Net.AfterSb1Pri, spec.Net.AfterSb2Pri),
            CramHmacAlg = spec.Net.CramHmacAlg,
            SharedSecret = spec.Net.SharedSecret,
            ResyncRate = spec.Disk.ResyncRate,
            ConnectInterval = spec.Net.ConnectInterval,
            VerifyAlg = spec.Net.VerifyAlg,
            CsumsAlg = spec.Net.CsumsAlg,
        };
    }
}
