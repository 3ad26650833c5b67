using System.Globalization;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Core.Os;
using Tandem.Membership;

// Usage: Tandem.Membership.Node NODE STATEDIR KEEPALIVE_MS DEADTIME_MS SECRET LINK...
//   LINK = name,alpha=ADDR:PORT,beta=ADDR:PORT   (a unicast link; endpoints name their nodes)
// Prints "READY" once started, then one line per event: "EVENT kind subject | reason".
// Runs until stdin closes.
if (args.Length < 6)
{
    Console.Error.WriteLine("usage: Tandem.Membership.Node NODE STATEDIR KEEPALIVE_MS DEADTIME_MS SECRET LINK...");
    return 2;
}
var keepalive = TimeSpan.FromMilliseconds(int.Parse(args[2], CultureInfo.InvariantCulture));
var deadtime = TimeSpan.FromMilliseconds(int.Parse(args[3], CultureInfo.InvariantCulture));
var links = new List<LinkSpec>();
var nodes = new List<string>();
foreach (var l in args.Skip(5))
{
    var parts = l.Split(',');
    var endpoints = parts.Skip(1).Select(p =>
    {
        var (node, ep) = (p[..p.IndexOf('=', StringComparison.Ordinal)], p[(p.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var colon = ep.LastIndexOf(':');
        if (!nodes.Contains(node))
        {
            nodes.Add(node);
        }
        return new LinkEndpoint(ep[..colon], int.Parse(ep[(colon + 1)..], CultureInfo.InvariantCulture), node);
    }).ToList();
    links.Add(new UnicastLinkSpec(parts[0], null, 694, endpoints));
}
var spec = new ClusterSpec
{
    Name = "tandem-test",
    Nodes = [.. nodes.Select(n => new NodeSpec(n))],
    Timing = new TimingSpec { Keepalive = keepalive, Deadtime = deadtime, Warntime = deadtime / 2, Initdead = deadtime * 6, Deadping = deadtime },
    Links = links,
    Auth = new AuthSpec(1, [new AuthKey(1, AuthMethod.Sha256, args[4])]),
};
await using var service = new MembershipService(spec, args[0], args[1], new ConsoleSink(args[0]), TimeProvider.System,
    Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
// Real-time scheduling as the daemon uses it (TANDEM_REALTIME=0 turns it off, to compare).
if (Environment.GetEnvironmentVariable("TANDEM_REALTIME") != "0" && !RealtimeScheduling.TryEnableForProcess(out var rtError))
{
    Console.WriteLine($"EVENT membership.realtime {args[0]} | not real-time: {rtError}");
}
await service.StartAsync(CancellationToken.None);
Console.WriteLine("READY");
await Console.In.ReadToEndAsync();
return 0;

internal sealed class ConsoleSink(string node) : IEventSink
{
    private long _sequence;

    public ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null)
    {
        var e = new ClusterEvent(Interlocked.Increment(ref _sequence), DateTimeOffset.UtcNow, node, kind, subject, reason) { Data = data };
        lock (this)
        {
            Console.WriteLine($"EVENT {kind} {subject} | {reason}");
        }
        return e;
    }
}
