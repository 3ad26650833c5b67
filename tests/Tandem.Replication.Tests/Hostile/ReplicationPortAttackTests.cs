using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tandem.Replication.Protocol;
using Tandem.Replication.Tests.Support;
using Xunit;

namespace Tandem.Replication.Tests.Hostile;

/// <summary>
/// Issue #18 item 5: whoever can connect to the replication port sent random bytes, a frame header
/// announcing 2^31 bytes, a Features frame of version 99 or garbage Params while the real peer
/// reconnected, and the node went StandAlone for good; silent connections held the acceptor for
/// seconds each. Now such a connection is dropped and counted and changes nothing, and handshakes
/// run concurrently. Every attack is real TCP on 127.0.0.1 against beta, the accepting node.
/// </summary>
public sealed class ReplicationPortAttackTests
{
    /// <summary>How long the real peer may take to connect while the port is under attack.</summary>
    private static readonly TimeSpan s_reconnectBound = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public enum Attack
    {
        RandomBytes,
        HugeFrameHeader,
        FeaturesVersion99,
        GarbageParams,
    }

    public static TheoryData<Attack, bool> Attacks()
    {
        var data = new TheoryData<Attack, bool>();
        foreach (var attack in Enum.GetValues<Attack>())
        {
            data.Add(attack, false);
            data.Add(attack, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task An_attack_while_the_peer_reconnects_is_dropped_and_counted_and_the_peer_connects(Attack attack, bool withSecret)
    {
        await using var c = await ReconnectingAsync(withSecret);
        var before = c.Events.Last;
        using var attacker = await ConnectToBetaAsync(c);
        await attacker.GetStream().WriteAsync(Payload(attack, withSecret), Ct);

        // The real peer reconnects while the hostile connection is open.
        var watch = Stopwatch.StartNew();
        await c.A.Volume.ConnectAsync();
        await c.WaitForAsync($"the real peer connected despite {attack}", () =>
            c.A.Volume.Connection == ConnectionState.Connected && c.B.Volume.Connection == ConnectionState.Connected, s_reconnectBound.TotalSeconds);
        Assert.True(watch.Elapsed < s_reconnectBound, $"the reconnect took {watch.Elapsed}");
        await c.WaitForAsync($"beta counted the {attack} connection", () => c.B.Volume.RejectedConnections >= 1);
        AssertBetaNeverGaveUp(c, before);
        Assert.Equal(c.B.Volume.RejectedConnections, c.B.Volume.GetStatus().RejectedConnections);
        Assert.NotNull(c.B.Volume.GetStatus().LastRejectedConnection);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task An_attack_while_the_peer_is_away_leaves_the_node_waiting(Attack attack, bool withSecret)
    {
        await using var c = await ReconnectingAsync(withSecret);
        var before = c.Events.Last;
        using (var attacker = await ConnectToBetaAsync(c))
        {
            await attacker.GetStream().WriteAsync(Payload(attack, withSecret), Ct);
            attacker.Client.Shutdown(SocketShutdown.Send);
            await c.WaitForAsync($"beta counted the {attack} connection", () => c.B.Volume.RejectedConnections >= 1);
        }
        Assert.Equal(ConnectionState.Connecting, c.B.Volume.Connection);
        AssertBetaNeverGaveUp(c, before);

        // And the peer still gets in afterwards.
        await c.A.Volume.ConnectAsync();
        await c.WaitForAsync("the real peer connected after the attack", () =>
            c.A.Volume.Connection == ConnectionState.Connected && c.B.Volume.Connection == ConnectionState.Connected, s_reconnectBound.TotalSeconds);
    }

    [Fact]
    public async Task Ten_silent_connections_do_not_delay_the_reconnect()
    {
        await using var c = await ReconnectingAsync(withSecret: false);
        var silent = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                silent.Add(await ConnectToBetaAsync(c));
            }
            var watch = Stopwatch.StartNew();
            await c.A.Volume.ConnectAsync();
            await c.WaitForAsync("the real peer connected past ten silent connections", () =>
                c.A.Volume.Connection == ConnectionState.Connected && c.B.Volume.Connection == ConnectionState.Connected, 10);
            // Before: each silent connection held the acceptor for its whole handshake deadline (10 × 2 s here).
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.5), $"the reconnect took {watch.Elapsed} with ten silent connections open");
            await c.WaitForAsync("beta dropped the ten silent connections at their deadline", () => c.B.Volume.RejectedConnections >= 10);
            Assert.Contains("no handshake within", c.B.Volume.GetStatus().LastRejectedConnection);
        }
        finally
        {
            foreach (var s in silent)
            {
                s.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_flood_beyond_the_concurrent_handshakes_is_closed_at_once_and_the_peer_still_connects()
    {
        await using var c = await ReconnectingAsync(withSecret: true);
        var silent = new List<TcpClient>();
        try
        {
            for (var i = 0; i < ReplicatedVolume.MaxConcurrentHandshakes + 8; i++)
            {
                silent.Add(await ConnectToBetaAsync(c));
            }
            await c.WaitForAsync("beta closed the connections beyond its handshake limit", () => c.B.Volume.RejectedConnections >= 8);
            await c.A.Volume.ConnectAsync();
            // The peer's own attempts may meet the limit too until the silent ones reach their deadline.
            await c.WaitForAsync("the real peer connected past the flood", () =>
                c.A.Volume.Connection == ConnectionState.Connected && c.B.Volume.Connection == ConnectionState.Connected, 10);
        }
        finally
        {
            foreach (var s in silent)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>Two connected replicas; alpha (the dialer) then disconnects, and beta waits for it again.</summary>
    private static async Task<Cluster> ReconnectingAsync(bool withSecret)
    {
        var c = await Cluster.StartAsync(tweak: o => withSecret ? o with { CramHmacAlg = "sha256", SharedSecret = "s3cret" } : o);
        await c.ConnectBothAsync();
        await c.A.Volume.DisconnectAsync();
        await c.WaitForAsync("beta waiting for its peer again", () => c.B.Volume.Connection == ConnectionState.Connecting);
        return c;
    }

    private static async Task<TcpClient> ConnectToBetaAsync(Cluster c)
    {
        var client = new TcpClient();
        await client.ConnectAsync(c.B.Options.Listen, Ct);
        return client;
    }

    private static void AssertBetaNeverGaveUp(Cluster c, long after)
    {
        var gaveUp = c.Events.Events.Where(e => e.Sequence > after && e.Node == "beta"
            && ((e.Kind == "volume.connection" && e.Data!["new"] == "StandAlone") || e.Kind == "volume.connect.refused")).ToList();
        Assert.True(gaveUp.Count == 0, $"beta gave up: {string.Join(" | ", gaveUp.Select(e => $"{e.Kind} {e.Reason}"))}");
    }

    private static byte[] Payload(Attack attack, bool withSecret)
    {
        var auth = withSecret ? FeatureFlags.RequiresAuth : FeatureFlags.None;
        return attack switch
        {
            Attack.RandomBytes => RandomNumberGenerator.GetBytes(4096),
            Attack.HugeFrameHeader => HugeHeader(),
            Attack.FeaturesVersion99 => Frame(FrameType.Features, new FeaturesMessage(99, 99, auth).Format()),
            Attack.GarbageParams => [.. Frame(FrameType.Features, new FeaturesMessage(Handshake.MinVersion, Handshake.MaxVersion, auth).Format()),
                .. Frame(FrameType.Params, RandomNumberGenerator.GetBytes(200))],
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };
    }

    private static byte[] Frame(FrameType type, byte[] payload)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(type, payload.Length).Format(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }

    private static byte[] HugeHeader()
    {
        var header = new byte[FrameHeader.Size];
        new FrameHeader(FrameType.Features, 0).Format(header);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), 1u << 31); // 2^31 bytes announced
        return header;
    }
}
