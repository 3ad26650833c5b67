using System.Security.Cryptography;
using System.Text;

namespace Tandem.Replication.Protocol;

/// <summary>
/// The connection handshake (drbd.md §7.2): feature exchange with a version range, then
/// challenge-response authentication when a shared secret is configured, then the settings that
/// must agree. Every refusal is sent to the peer as an <see cref="FrameType.Error"/> frame and
/// thrown as a <see cref="ProtocolException"/> whose message says what to do.
/// </summary>
internal static class Handshake
{
    /// <summary>The peer-protocol versions this release speaks.</summary>
    public const uint MinVersion = 1;

    /// <summary>The newest peer-protocol version this release speaks.</summary>
    public const uint MaxVersion = 1;

    private const int ChallengeSize = 32;

    public static Task<HandshakeResult> RunAsync(PeerConnection connection, HandshakeOptions options, ParamsMessage local, CancellationToken cancellationToken) =>
        RunAsync(connection, options, () => Task.FromResult(local), null, cancellationToken);

    /// <summary>
    /// Runs the handshake; <paramref name="local"/> is asked for this side's parameters only once
    /// the peer is authenticated, so that they are current. <paramref name="progress"/> records
    /// whether the peer was authenticated before a refusal (issue #18 item 5: a refusal by a
    /// connection that is not the peer must not stop the retries).
    /// </summary>
    public static async Task<HandshakeResult> RunAsync(PeerConnection connection, HandshakeOptions options, Func<Task<ParamsMessage>> local,
        HandshakeProgress? progress, CancellationToken cancellationToken)
    {
        progress ??= new HandshakeProgress();
        var features = options.Features | (options.Secret is null ? FeatureFlags.None : FeatureFlags.RequiresAuth);
        await connection.WriteDirectAsync(FrameType.Features, new FeaturesMessage(options.MinVersion, options.MaxVersion, features).Format(), cancellationToken).ConfigureAwait(false);
        var payload = await ExpectAsync(connection, FrameType.Features, cancellationToken).ConfigureAwait(false);
        if (!FeaturesMessage.TryParse(payload, out var peer))
        {
            await RefuseAsync(connection, "malformed feature frame", cancellationToken).ConfigureAwait(false);
        }
        var low = Math.Max(options.MinVersion, peer.MinVersion);
        var high = Math.Min(options.MaxVersion, peer.MaxVersion);
        var peerWantsAuth = (peer.Features & FeatureFlags.RequiresAuth) != 0;
        if (options.Secret is not null && !peerWantsAuth)
        {
            await RefuseAsync(connection, "this node requires authentication (cram-hmac-alg/shared-secret) but the peer has no shared secret: configure the same cram-hmac-alg and shared-secret on both nodes", cancellationToken).ConfigureAwait(false);
        }
        if (options.Secret is null && peerWantsAuth)
        {
            await RefuseAsync(connection, "the peer requires authentication (cram-hmac-alg/shared-secret) but this node has no shared secret: configure the same cram-hmac-alg and shared-secret on both nodes", cancellationToken).ConfigureAwait(false);
        }
        if (options.Secret is not null)
        {
            // Authentication comes before the version check: the challenge and response frames are
            // the same in every version, and a version refusal is acted on (no more retries) only
            // when it comes from the authenticated peer, never from whoever can connect.
            await AuthenticateAsync(connection, options, cancellationToken).ConfigureAwait(false);
            progress.Authenticated = true;
        }
        if (low > high)
        {
            var advice = peer.MinVersion > options.MaxVersion ? "the peer is newer: upgrade this node" : "the peer is older: upgrade the peer";
            await RefuseAsync(connection,
                $"incompatible replication protocol: this node speaks versions {options.MinVersion}-{options.MaxVersion}, the peer {peer.MinVersion}-{peer.MaxVersion}; {advice} (nodes within one release of each other interoperate)",
                cancellationToken).ConfigureAwait(false);
        }

        var mine = await local().ConfigureAwait(false);
        await connection.WriteDirectAsync(FrameType.Params, mine.Format(), cancellationToken).ConfigureAwait(false);
        payload = await ExpectAsync(connection, FrameType.Params, cancellationToken).ConfigureAwait(false);
        if (!ParamsMessage.TryParse(payload, out var remote, out var error))
        {
            await RefuseAsync(connection, $"malformed parameters: {error}", cancellationToken).ConfigureAwait(false);
        }
        var mismatch = CheckAgreement(mine, remote);
        if (mismatch is not null)
        {
            await RefuseAsync(connection, mismatch, cancellationToken).ConfigureAwait(false);
        }
        return new HandshakeResult(high, features & peer.Features & ~FeatureFlags.RequiresAuth, remote, Math.Min(mine.Size, remote.Size)) { Local = mine };
    }

    /// <summary>The settings that must match (drbd.md §5.1, §7.2 step 4); null when they do.</summary>
    internal static string? CheckAgreement(ParamsMessage local, ParamsMessage remote)
    {
        if (local.Protocol != remote.Protocol)
        {
            return $"incompatible settings: this node uses protocol {local.Protocol}, the peer {remote.Protocol}; set the same protocol on both nodes";
        }
        if (local.AllowTwoPrimaries != remote.AllowTwoPrimaries)
        {
            return "incompatible settings: allow-two-primaries differs; set it the same on both nodes";
        }
        var p = local.Policies;
        var q = remote.Policies;
        if (p.ZeroPrimaries != Mirror(q.ZeroPrimaries) || p.OnePrimary != q.OnePrimary || p.TwoPrimaries != q.TwoPrimaries)
        {
            return $"incompatible settings: after-sb policies differ (this node {p.ZeroPrimaries}/{p.OnePrimary}/{p.TwoPrimaries}, the peer {q.ZeroPrimaries}/{q.OnePrimary}/{q.TwoPrimaries}); set the same policies on both nodes";
        }
        if (local.DiscardMyData && remote.DiscardMyData)
        {
            return "both nodes were told --discard-my-data; run it on the split-brain victim only";
        }
        return null;
    }

    private static string Mirror(string policy) => policy switch
    {
        "discard-local" => "discard-remote",
        "discard-remote" => "discard-local",
        _ => policy,
    };

    private static async Task AuthenticateAsync(PeerConnection connection, HandshakeOptions options, CancellationToken cancellationToken)
    {
        var mine = RandomNumberGenerator.GetBytes(ChallengeSize);
        await connection.WriteDirectAsync(FrameType.AuthChallenge, mine, cancellationToken).ConfigureAwait(false);
        var theirs = await ExpectAsync(connection, FrameType.AuthChallenge, cancellationToken).ConfigureAwait(false);
        if (theirs.Length != ChallengeSize || CryptographicOperations.FixedTimeEquals(theirs, mine))
        {
            // An echoed challenge is a reflection attack: our own answer would authenticate them.
            await RefuseAsync(connection, "authentication failed: bad or reflected challenge", cancellationToken).ConfigureAwait(false);
        }
        await connection.WriteDirectAsync(FrameType.AuthResponse, Mac(options, theirs), cancellationToken).ConfigureAwait(false);
        var response = await ExpectAsync(connection, FrameType.AuthResponse, cancellationToken).ConfigureAwait(false);
        if (!CryptographicOperations.FixedTimeEquals(response, Mac(options, mine)))
        {
            await RefuseAsync(connection, "authentication failed: the peer's shared-secret (or cram-hmac-alg) differs from this node's", cancellationToken).ConfigureAwait(false);
        }
    }

    internal static byte[] Mac(HandshakeOptions options, byte[] challenge)
    {
        var key = options.Secret!;
        return (options.HmacAlgorithm ?? "sha256").ToLowerInvariant() switch
        {
            "sha1" => HMACSHA1.HashData(key, challenge),
            "sha512" => HMACSHA512.HashData(key, challenge)[..64],
            "md5" => HMACMD5.HashData(key, challenge),
            _ => HMACSHA256.HashData(key, challenge),
        };
    }

    private static async Task<byte[]> ExpectAsync(PeerConnection connection, FrameType expected, CancellationToken cancellationToken)
    {
        var (type, payload) = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (type == FrameType.Error)
        {
            throw new ProtocolException($"the peer refused the connection: {Encoding.UTF8.GetString(payload)}");
        }
        if (type != expected)
        {
            await RefuseAsync(connection, $"protocol error: expected {expected} during the handshake, got {type}", cancellationToken).ConfigureAwait(false);
        }
        return payload;
    }

    private static async Task RefuseAsync(PeerConnection connection, string message, CancellationToken cancellationToken)
    {
        try
        {
            var text = Encoding.UTF8.GetBytes(message);
            await connection.WriteDirectAsync(FrameType.Error, text.AsMemory(0, Math.Min(text.Length, 1024)), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The peer may already be gone; the local error is what matters.
        }
        throw new ProtocolException(message);
    }
}

/// <summary>This side's handshake settings.</summary>
internal sealed record HandshakeOptions(uint MinVersion, uint MaxVersion, FeatureFlags Features, string? HmacAlgorithm, byte[]? Secret)
{
    public static HandshakeOptions Default(string? alg, string? secret) => new(Handshake.MinVersion, Handshake.MaxVersion,
        FeatureFlags.FlushAfterBarrierAck | FeatureFlags.Zeroes | FeatureFlags.DisklessResizeCongestion | FeatureFlags.ResyncBatch, alg, string.IsNullOrEmpty(secret) ? null : Encoding.UTF8.GetBytes(secret));
}

/// <summary>What the handshake agreed.</summary>
internal sealed record HandshakeResult(uint Version, FeatureFlags Features, ParamsMessage Peer, long AgreedSize)
{
    /// <summary>The parameters this side sent.</summary>
    public ParamsMessage Local { get; init; } = new();
}
