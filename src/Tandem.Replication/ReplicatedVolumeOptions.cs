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

    /// <summary>The peer's node name. When set, the node with the smaller name dials and the other
    /// accepts (stable even when a proxy or NAT changes the addresses); otherwise the smaller listen
    /// address dials.</summary>
    public string? PeerName { get; init; }

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

    /// <summary>Offers only the features of the release before resync batches, as an older peer
    /// would (tests of mixed releases).</summary>
    internal bool WithoutResyncBatch { get; init; }

    /// <summary>The dynamic controller's plan (c-plan-ahead); zero uses the fixed <see cref="ResyncRate"/>.</summary>
    /// <value>Zero (fixed rate).</value>
    public TimeSpan ControllerPlanAhead { get; init; }

    /// <summary>Bytes in flight the dynamic controller aims for (c-fill-target); 0 uses <see cref="ControllerDelayTarget"/>.</summary>
    /// <value>50 KiB (DRBD's 100 sectors).</value>
    public long ControllerFillTarget { get; init; } = 50 * 1024;

    /// <summary>c-delay-target.</summary>
    /// <value>1 second.</value>
    public TimeSpan ControllerDelayTarget { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>c-max-rate in bytes per second.</summary>
    /// <value>100 MiB/s.</value>
    public long ControllerMaxRate { get; init; } = 100L << 20;

    /// <summary>A resync with no acknowledgement for this long is reported as stalled.</summary>
    /// <value>30 seconds.</value>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle connection is pinged (ping-int).</summary>
    /// <value>10 seconds.</value>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a ping may go unanswered before the peer is declared lost.</summary>
    /// <value>6 seconds (DRBD's <c>timeout</c>; its 0.5 s ping-timeout is for a dedicated meta socket).</value>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>What a local I/O error does (on-io-error).</summary>
    /// <value><see cref="OnIoErrorPolicy.Detach"/>, DRBD's default.</value>
    public OnIoErrorPolicy OnIoError { get; init; } = OnIoErrorPolicy.Detach;

    /// <summary>The <c>local-io-error</c> handler command (run by <c>/bin/sh -c</c>) for <see cref="OnIoErrorPolicy.CallLocalIoError"/>, or null.</summary>
    public string? LocalIoErrorHandler { get; init; }

    /// <summary>A local request not completed within this time counts as an I/O error (disk-timeout); zero waits forever.</summary>
    /// <value>Zero (off), DRBD's default.</value>
    public TimeSpan DiskTimeout { get; init; }

    /// <summary>
    /// Whether a Secondary makes each epoch's writes stable with a flush of its backing before
    /// acknowledging the barrier (DRBD's <c>disk-flushes</c>, write ordering "flush"). False is
    /// write ordering "drain": the epoch's writes are complete, not flushed, when acknowledged;
    /// only safe on a backing whose volatile cache survives power loss (battery- or flash-backed).
    /// </summary>
    /// <value>True.</value>
    public bool DiskFlushes { get; init; } = true;

    /// <summary>What a Primary does when it loses its peer (fencing).</summary>
    /// <value><see cref="FencingPolicy.DontCare"/>.</value>
    public FencingPolicy Fencing { get; init; } = FencingPolicy.DontCare;

    /// <summary>
    /// Fences the peer of a resource (the daemon outdates it through the cluster channel, or
    /// STONITHs it): called with the resource name when a Primary loses its peer under
    /// <see cref="Fencing"/> other than dont-care, and before promoting without a reachable peer.
    /// When null, <see cref="FencePeerHandler"/> is run instead.
    /// </summary>
    public Func<string, CancellationToken, Task<FencePeerResult>>? FencePeer { get; init; }

    /// <summary>The <c>fence-peer</c> handler command (its exit code is the result, DRBD style), or null.</summary>
    public string? FencePeerHandler { get; init; }

    /// <summary>
    /// Notification handlers by DRBD name, run by <c>/bin/sh -c</c> without waiting:
    /// <c>initial-split-brain</c>, <c>split-brain</c>, <c>pri-lost-after-sb</c>,
    /// <c>after-resync-target</c>, <c>unfence-peer</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Handlers { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a handler or the fence-peer callback may run before it counts as failed.</summary>
    /// <value>60 seconds.</value>
    public TimeSpan HandlerTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What a protocol A Primary does when the link is congested (on-congestion).</summary>
    /// <value><see cref="CongestionPolicy.Block"/>.</value>
    public CongestionPolicy OnCongestion { get; init; } = CongestionPolicy.Block;

    /// <summary>Bytes queued for the peer above which the link counts as congested (congestion-fill); 0 is off.</summary>
    /// <value>0.</value>
    public long CongestionFill { get; init; }

    /// <summary>Activity-log extents in use above which the link counts as congested (congestion-extents); 0 is off.</summary>
    /// <value>0.</value>
    public int CongestionExtents { get; init; }

    /// <summary>The PEM certificate (chain) of this node for TLS on the peer connection (tls-certificate), or null: no TLS.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>The PEM private key of <see cref="TlsCertificate"/> (tls-privkey), or null when the certificate file holds it.</summary>
    public string? TlsPrivateKey { get; init; }

    /// <summary>PEM certificates a peer's certificate must equal or chain to (tls-ca), or null: the own certificate file.</summary>
    public string? TlsTrust { get; init; }

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
            PeerName = peers[0].Name,
            Listen = IPEndPoint.Parse(me.Address),
            Peer = IPEndPoint.Parse(peers[0].Address),
            Protocol = spec.Protocol,
            Policies = new SplitBrainPolicies(spec.Net.AfterSb0Pri, spec.Net.AfterSb1Pri, spec.Net.AfterSb2Pri),
            CramHmacAlg = spec.Net.CramHmacAlg,
            SharedSecret = spec.Net.SharedSecret,
            ResyncRate = spec.Disk.ResyncRate,
            ConnectInterval = spec.Net.ConnectInterval,
            ControllerPlanAhead = TimeSpan.FromMilliseconds(100 * Int(spec.Disk.Other, "c-plan-ahead", 0)),
            ControllerFillTarget = 512 * Int(spec.Disk.Other, "c-fill-target", 100),
            ControllerDelayTarget = TimeSpan.FromMilliseconds(100 * Int(spec.Disk.Other, "c-delay-target", 10)),
            ControllerMaxRate = 1024 * Int(spec.Disk.Other, "c-max-rate", 102400),
            PingInterval = spec.Net.PingInterval,
            PeerTimeout = spec.Net.Timeout,
            VerifyAlg = spec.Net.VerifyAlg,
            CsumsAlg = spec.Net.CsumsAlg,
            OnIoError = spec.Disk.OnIoError switch
            {
                "pass_on" => OnIoErrorPolicy.PassOn,
                "call-local-io-error" => OnIoErrorPolicy.CallLocalIoError,
                _ => OnIoErrorPolicy.Detach,
            },
            LocalIoErrorHandler = Handler(spec, "local-io-error"),
            DiskTimeout = TimeSpan.FromMilliseconds(100 * Int(spec.Disk.Other, "disk-timeout", 0)),
            DiskFlushes = spec.Disk.Other.GetValueOrDefault("disk-flushes") != "no",
            Fencing = spec.Disk.Fencing switch
            {
                "resource-only" => FencingPolicy.ResourceOnly,
                "resource-and-stonith" => FencingPolicy.ResourceAndStonith,
                _ => FencingPolicy.DontCare,
            },
            FencePeerHandler = Handler(spec, "fence-peer"),
            Handlers = spec.Handlers.Where(h => !string.IsNullOrWhiteSpace(h.Value))
                .ToDictionary(h => h.Key.Replace('_', '-'), h => h.Value, StringComparer.Ordinal),
            OnCongestion = Text(spec.Net.Other, "on-congestion") switch
            {
                "pull-ahead" => CongestionPolicy.PullAhead,
                "disconnect" => CongestionPolicy.Disconnect,
                _ => CongestionPolicy.Block,
            },
            CongestionFill = Size(spec.Net.Other, "congestion-fill", 512),
            CongestionExtents = (int)Math.Min(int.MaxValue, Int(spec.Net.Other, "congestion-extents", 0)),
            TlsCertificate = Text(spec.Net.Other, "tls") == "yes" ? Text(spec.Net.Other, "tls-certificate") : null,
            TlsPrivateKey = Text(spec.Net.Other, "tls") == "yes" ? Text(spec.Net.Other, "tls-privkey") : null,
            TlsTrust = Text(spec.Net.Other, "tls") == "yes" ? Text(spec.Net.Other, "tls-ca") : null,
        };
    }

    private static string? Handler(ReplicatedResourceSpec spec, string name) =>
        spec.Handlers.TryGetValue(name, out var command) || spec.Handlers.TryGetValue(name.Replace('-', '_'), out command)
            ? (string.IsNullOrWhiteSpace(command) ? null : command)
            : null;

    private static string? Text(IReadOnlyDictionary<string, string> options, string key) =>
        options.TryGetValue(key, out var raw) || options.TryGetValue(key.Replace('-', '_'), out raw) ? raw : null;

    /// <summary>A DRBD size: a number in <paramref name="unit"/> bytes, or with a K, M or G suffix (powers of 1024).</summary>
    private static long Size(IReadOnlyDictionary<string, string> options, string key, long unit)
    {
        var raw = Text(options, key)?.Trim();
        if (string.IsNullOrEmpty(raw))
        {
            return 0;
        }
        var multiplier = char.ToUpperInvariant(raw[^1]) switch
        {
            'K' => 1L << 10,
            'M' => 1L << 20,
            'G' => 1L << 30,
            _ => 0,
        };
        var digits = multiplier == 0 ? raw : raw[..^1];
        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v))
        {
            return 0;
        }
        return v * (multiplier == 0 ? unit : multiplier);
    }

    private static long Int(IReadOnlyDictionary<string, string> options, string key, long fallback) =>
        options.TryGetValue(key, out var raw) && long.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
