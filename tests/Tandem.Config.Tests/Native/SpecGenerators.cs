using System.Net;
using CsCheck;
using Tandem.Core.Model;

namespace Tandem.Config.Tests.Native;

/// <summary>
/// CsCheck generators for every part of <see cref="ClusterSpec"/>, limited to models the native
/// reader accepts (unique names, references to declared nodes, Heartbeat's timing rules), with
/// strings that need TOML escaping: quotes, backslashes, control characters, non-ASCII, emoji.
/// </summary>
public static class SpecGenerators
{
    private static readonly Gen<string> s_plainPiece = Gen.Char['a', 'z'].Select(c => c.ToString());

    // Control characters that char.IsWhiteSpace does not count as space (it does count U+000B and U+001C-U+001F).
    private static readonly Gen<string> s_awkwardPiece = Gen.OneOf(
        Gen.Char["\"\\#=[]{}.,:'$`%&*!?<>|/+-_~"].Select(c => c.ToString()),
        Gen.Char["\u0001\u0008\u001B\u007F"].Select(c => c.ToString()),
        Gen.OneOf(Gen.Const("é"), Gen.Const("ß"), Gen.Const("日本"), Gen.Const("😀"), Gen.Const("\uFEFF"), Gen.Const("Ω")));

    private static readonly Gen<string> s_spacePiece = Gen.OneOf(Gen.Const(" "), Gen.Const("\t"), Gen.Const("\n"), Gen.Const("\r\n"), Gen.Const("\u00A0"), Gen.Const("\u2028"), Gen.Const("\u000B"), Gen.Const("\u001F"));

    /// <summary>A non-empty string without white space (names, tokens).</summary>
    public static readonly Gen<string> Token =
        Gen.Frequency((6, s_plainPiece), (2, s_awkwardPiece), (1, Gen.Char['0', '9'].Select(c => c.ToString())))
            .Array[1, 8].Select(string.Concat);

    /// <summary>Any non-empty text, white space and line breaks included.</summary>
    public static readonly Gen<string> Text =
        Gen.Frequency((6, s_plainPiece), (2, s_awkwardPiece), (2, s_spacePiece))
            .Array[1, 12].Select(string.Concat);

    /// <summary>Any text, possibly empty (arguments and parameter values).</summary>
    public static readonly Gen<string> AnyText = Gen.Frequency((1, Gen.Const("")), (8, Text));

    public static readonly Gen<string> IPv4 =
        Gen.Select(Gen.Byte, Gen.Byte, Gen.Byte, Gen.Byte, (a, b, c, d) => $"{a}.{b}.{c}.{d}");

    public static readonly Gen<string> IPv6 =
        Gen.Byte.Array[16].Select(b => new IPAddress(b).ToString()).Where(s => s.Contains(':', StringComparison.Ordinal));

    public static readonly Gen<string> Address = Gen.Frequency((3, IPv4), (1, IPv6));

    public static readonly Gen<int> Port = Gen.Int[1, 65535];

    public static readonly Gen<string> Endpoint = Gen.Frequency(
        (3, Gen.Select(IPv4, Port, (a, p) => $"{a}:{p}")),
        (1, Gen.Select(IPv6, Port, (a, p) => $"[{a}]:{p}")));

    public static readonly Gen<TimeSpan> Duration = Gen.Frequency(
        (3, Gen.Int[1, 10_000].Select(ms => TimeSpan.FromMilliseconds(ms))),
        (2, Gen.Int[1, 600].Select(s => TimeSpan.FromSeconds(s))),
        (1, Gen.Long[1, TimeSpan.TicksPerHour].Select(TimeSpan.FromTicks)));

    public static readonly Gen<TimeSpan> DurationOrZero = Gen.Frequency((1, Gen.Const(TimeSpan.Zero)), (4, Duration));

    public static Gen<T?> OrNull<T>(this Gen<T> gen) where T : class =>
        Gen.Frequency((1, Gen.Const((T?)null)), (2, gen.Select(v => (T?)v)));

    public static Gen<string> Pick(IReadOnlyList<string> items) => Gen.Int[0, items.Count - 1].Select(i => items[i]);

    /// <summary>Names made unique by a "#index" suffix (unique even ignoring case: the suffix differs).</summary>
    private static Gen<List<string>> UniqueNames(int min, int max) =>
        Token.List[min, max].Select(l => l.Select((n, i) => $"{n}#{i}").ToList());

    private static Gen<Dictionary<string, string>> Map(Gen<string> values, int max = 3) =>
        Gen.Select(Gen.Frequency((1, Gen.Const("")), (6, Text)), values).List[0, max]
            .Select(l => l.GroupBy(kv => kv.Item1).ToDictionary(g => g.Key, g => g.First().Item2));

    public static readonly Gen<TimingSpec> Timing =
        Gen.Select(Gen.Long[1, 10 * TimeSpan.TicksPerSecond], Duration, Duration, DurationOrZero, Duration, (k, extraDead, warn, extraInit, extraPing) =>
            new TimingSpec
            {
                Keepalive = TimeSpan.FromTicks(k),
                Deadtime = TimeSpan.FromTicks(2 * k) + extraDead,
                Warntime = warn,
                Initdead = TimeSpan.FromTicks(2 * k) + extraDead + extraInit,
                Deadping = TimeSpan.FromTicks(2 * k) + extraPing,
            });

    private static Gen<LinkSpec> Link(IReadOnlyList<string> nodes, string name)
    {
        var nodeRef = Pick(nodes).OrNull();
        var endpoint = Gen.Select(Address, Port.Select(p => (int?)p).Frequency0(), nodeRef, (a, p, n) => new LinkEndpoint(a, p, n));
        var ucast = Gen.Select(Token.OrNull(), Port, endpoint.List[1, 4],
            (i, p, e) => (LinkSpec)new UnicastLinkSpec(name, i, p, e));
        var bcast = Gen.Select(Token, Port, (i, p) => (LinkSpec)new BroadcastLinkSpec(name, i, p));
        var mcastGroup = Gen.Frequency(
            (3, Gen.Select(Gen.Byte, Gen.Byte, Gen.Byte, (a, b, c) => $"239.{a}.{b}.{c}")),
            (1, Gen.UShort.Select(x => $"ff12::{x:x}")));
        var mcast = Gen.Select(Token, mcastGroup, Port, Gen.Int[1, 255], Gen.Bool,
            (i, g, p, t, l) => (LinkSpec)new MulticastLinkSpec(name, i, g, p, t, l));
        var devices = Gen.Select(Pick(nodes), Text).List[0, 3].Select(l => l.GroupBy(x => x.Item1, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Item2));
        var serial = Gen.Select(Text.OrNull(), Gen.OneOf(Gen.Const(9600), Gen.Const(19200), Gen.Const(115200)), devices,
            (d, b, map) => (LinkSpec)new SerialLinkSpec(name, d ?? (map.Count > 0 ? "" : "/dev/ttyS0"), b) { DeviceByNode = map });
        return Gen.OneOf(ucast, bcast, mcast, serial);
    }

    private static Gen<int?> Frequency0(this Gen<int?> gen) => Gen.Frequency((1, Gen.Const((int?)null)), (1, gen));

    private static Gen<List<LinkSpec>> Links(IReadOnlyList<string> nodes) =>
        UniqueNames(nodes.Count > 1 ? 1 : 0, 4).SelectMany(names =>
            names.Count == 0 ? Gen.Const(new List<LinkSpec>())
            : All(names.Select(n => Link(nodes, n)).ToArray()).Select(a => a.ToList()));

    private static Gen<T[]> All<T>(Gen<T>[] gens) =>
        gens.Aggregate(Gen.Const(Array.Empty<T>()), (acc, g) => Gen.Select(acc, g, (a, x) => a.Append(x).ToArray()));

    public static readonly Gen<AuthSpec?> Auth =
        Gen.Int[0, 15].HashSet[1, 4].SelectMany(indexes =>
            All(indexes.Order().Select(i => Gen.Frequency(
                (1, Gen.Const(new AuthKey(i, AuthMethod.Crc, ""))),
                (6, Gen.Select(Gen.OneOf(Gen.Const(AuthMethod.Md5), Gen.Const(AuthMethod.Sha1), Gen.Const(AuthMethod.Sha256), Gen.Const(AuthMethod.Sha512)), Text,
                    (m, s) => new AuthKey(i, m, s))))).ToArray())
            .SelectMany(keys => Gen.Int[0, keys.Length - 1].Select(a =>
                new AuthSpec(keys[a].Index, keys) { AllowInsecure = keys.Any(k => k.Method == AuthMethod.Crc) })))
        .OrNull();

    private static Gen<VolumeSpec> Volume(int number) =>
        Gen.Select(Text, Text, Gen.Frequency((2, Gen.Const("internal")), (1, Text)), (dev, disk, meta) => new VolumeSpec(number, dev, disk, meta));

    private static Gen<ReplicaHostSpec> Host(string name) =>
        Gen.Select(Endpoint, Gen.Int[0, 300].HashSet[1, 3].SelectMany(nums => All(nums.Select(Volume).ToArray())),
            (a, v) => new ReplicaHostSpec(name, a, v));

    private static readonly Gen<NetOptions> Net =
        Gen.Select(Token.OrNull(), Text.OrNull(), Gen.Select(Token, Token, Token), Gen.Bool, Token.OrNull(), Token.OrNull(), Map(Text),
            (alg, secret, sb, two, verify, csums, other) => new NetOptions
            {
                CramHmacAlg = alg, SharedSecret = secret, AfterSb0Pri = sb.Item1, AfterSb1Pri = sb.Item2, AfterSb2Pri = sb.Item3,
                AllowTwoPrimaries = two, VerifyAlg = verify, CsumsAlg = csums, Other = other,
            });

    private static readonly Gen<DiskOptions> Disk =
        Gen.Select(Gen.OneOf(Gen.Const("detach"), Gen.Const("pass_on"), Gen.Const("call-local-io-error")),
            Gen.OneOf(Gen.Const("dont-care"), Gen.Const("resource-only"), Gen.Const("resource-and-stonith")),
            Gen.Frequency((2, Gen.Int[1, 4096].Select(m => (long)m << 20)), (1, Gen.Long[0, 1L << 40])),
            Gen.Int[7, 65534], Map(Text),
            (io, f, rate, al, other) => new DiskOptions { OnIoError = io, Fencing = f, ResyncRate = rate, AlExtents = al, Other = other });

    private static readonly Gen<StartupOptions> Startup =
        Gen.Select(DurationOrZero, DurationOrZero, DurationOrZero, (a, b, c) => new StartupOptions { WfcTimeout = a, DegrWfcTimeout = b, OutdatedWfcTimeout = c });

    private static Gen<List<ReplicatedResourceSpec>> Replicated(IReadOnlyList<string> nodes) =>
        UniqueNames(0, 3).SelectMany(names => All(names.Select(name =>
            Gen.Int[0, nodes.Count].SelectMany(hostCount =>
                Gen.Select(Gen.OneOf(Gen.Const(ReplicationProtocol.A), Gen.Const(ReplicationProtocol.B), Gen.Const(ReplicationProtocol.C)),
                    All(nodes.Take(hostCount).Select(Host).ToArray()), Net, Disk, Startup, Map(Text),
                    (p, hosts, net, disk, startup, handlers) => new ReplicatedResourceSpec(name)
                    {
                        Protocol = p, Hosts = hosts, Net = net, Disk = disk, Startup = startup, Handlers = handlers,
                    }))).ToArray()).Select(a => a.ToList()));

    private static Gen<ResourceSpec> Resource(string id) =>
        Gen.Select(Token, Gen.OneOf(Gen.Const(AgentClass.Heartbeat), Gen.Const(AgentClass.Ocf), Gen.Const(AgentClass.Lsb), Gen.Const(AgentClass.BuiltIn)),
            Token.OrNull(), AnyText.List[0, 3], Map(AnyText), Gen.Select(Duration, Duration, Duration, DurationOrZero),
            (agent, cls, provider, args, parameters, times) => new ResourceSpec(id, agent)
            {
                Class = cls,
                Provider = cls == AgentClass.Ocf ? provider : null,
                Arguments = args,
                Parameters = parameters,
                StartTimeout = times.Item1,
                StopTimeout = times.Item2,
                MonitorTimeout = times.Item3,
                MonitorInterval = times.Item4,
            });

    private static Gen<List<GroupSpec>> Groups(IReadOnlyList<string> nodes) =>
        UniqueNames(0, 3).SelectMany(names => All(names.Select(name =>
            Gen.Select(Pick(nodes), UniqueNames(1, 4).SelectMany(ids => All(ids.Select(Resource).ToArray())),
                (preferred, resources) => new GroupSpec(name, preferred, resources))).ToArray()).Select(a => a.ToList()));

    private static Gen<FencingSpec> Fencing(IReadOnlyList<string> nodes) =>
        Gen.Frequency(
            (1, Gen.Const(new FencingSpec { Disabled = true })),
            (3, UniqueNames(0, 3).SelectMany(names => All(names.Select(name =>
                Gen.Select(Gen.OneOf(Gen.Const(FenceKind.FenceAgent), Gen.Const(FenceKind.Script), Gen.Const(FenceKind.Manual), Gen.Const(FenceKind.Stonith)),
                    Text, Map(AnyText), Pick(nodes).List[0, 2], Pick(nodes).OrNull(),
                    (kind, command, parameters, targets, runsOn) => new FenceDeviceSpec(name, kind, command)
                    {
                        Parameters = parameters, Targets = targets, RunsOn = runsOn,
                    })).ToArray()).Select(d => new FencingSpec { Devices = d }))));

    private static readonly Gen<List<PingSpec>> Ping =
        Gen.Frequency(
            (2, Address.Select(a => new PingSpec(a, [a], false))),
            (1, Gen.Select(Token, Address.List[1, 3], (n, a) => new PingSpec(n, a, true)))).List[0, 3];

    private static readonly Gen<LoggingSpec> Logging =
        Gen.Select(Gen.OneOf(Gen.Const("daemon"), Gen.Const("local7"), Gen.Const("authpriv")).OrNull(), Text.OrNull(), Text.OrNull(),
            (f, l, d) => new LoggingSpec { Facility = f, LogFile = l, DebugFile = d });

    private static readonly Gen<NotificationSpec> Notification =
        Gen.Select(Text, Text.OrNull(), (relay, from) => new NotificationSpec { SmtpRelay = relay, From = from });

    private static readonly Gen<List<RespawnSpec>> Respawn = Gen.Select(Token, Text, (u, c) => new RespawnSpec(u, c)).List[0, 2];

    private static readonly Gen<NbdTlsSpec> NbdTls = Gen.Select(Gen.Bool, Gen.Bool, Gen.Int[0, 2], (key, ca, verify) =>
        new NbdTlsSpec("/etc/tandem/nbd.pem")
        {
            Key = key ? "/etc/tandem/nbd.key" : null,
            ClientCa = ca ? "/etc/tandem/clients.pem" : null,
            VerifyClient = ca ? (NbdClientCertificates)(1 + verify % 2) : NbdClientCertificates.None,
        });

    private static readonly Gen<List<NodeSpec>> Nodes =
        UniqueNames(1, 4).SelectMany(names => All(names.Select(n => Gen.Select(Endpoint.OrNull(), NbdTls.OrNull(), (e, tls) =>
                // A TCP listener has TLS or the explicit insecure opt-in (issue #18 item 4).
                new NodeSpec(n) { NbdListen = e, NbdTls = e is null ? null : tls, NbdInsecure = e is not null && tls is null })).ToArray()))
            .Select(a => a.ToList());

    /// <summary>A whole cluster the native reader must accept.</summary>
    public static readonly Gen<ClusterSpec> Cluster =
        Nodes.SelectMany(nodes =>
        {
            var names = nodes.Select(n => n.Name).ToList();
            return Gen.Select(Text, Gen.OneOf(Gen.Const(FailbackMode.On), Gen.Const(FailbackMode.Off), Gen.Const(FailbackMode.Legacy)),
                Timing, Links(names), Auth, Replicated(names), Groups(names), Fencing(names),
                Gen.Select(Notification, Ping, Logging, Respawn),
                (name, failback, timing, links, auth, replicated, groups, fencing, misc) => new ClusterSpec
                {
                    Name = name,
                    AutoFailback = failback,
                    Nodes = nodes,
                    Timing = timing,
                    Links = links,
                    Auth = auth,
                    Replicated = replicated,
                    Groups = groups,
                    Fencing = fencing,
                    Notification = misc.Item1,
                    Ping = misc.Item2,
                    Logging = misc.Item3,
                    Respawn = misc.Item4,
                });
        });
}
