using Microsoft.Extensions.Logging;
using Tandem.Core.Events;
using Tandem.Core.Model;
using Tandem.Membership.Wire;

namespace Tandem.Membership.Tests;

/// <summary>Small builders shared by the tests.</summary>
internal static class TestCluster
{
    public static AuthSpec Auth(AuthMethod method = AuthMethod.Sha256, string secret = "s3cret", int index = 1) =>
        new(index, [new AuthKey(index, method, method == AuthMethod.Crc ? "" : secret)]) { AllowInsecure = method == AuthMethod.Crc };

    public static PacketCodec Codec(string local, AuthSpec? auth = null, string cluster = "test", params string[] nodes) =>
        new(cluster, nodes.Length == 0 ? ["alpha", "beta"] : nodes, local, new PacketAuthenticator(auth ?? Auth()));
}

/// <summary>An event sink that keeps every event and lets a test wait for one.</summary>
internal sealed class RecordingEventSink(TimeProvider? time = null) : IEventSink
{
    private readonly Lock _lock = new();
    private readonly List<ClusterEvent> _events = [];
    private readonly List<(Func<ClusterEvent, bool> Match, TaskCompletionSource<ClusterEvent> Done)> _waiters = [];
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Node { get; init; } = "test";

    public IReadOnlyList<ClusterEvent> Events
    {
        get { lock (_lock) { return [.. _events]; } }
    }

    public IEnumerable<ClusterEvent> OfKind(string kind) => Events.Where(e => e.Kind == kind);

    public ClusterEvent Publish(string kind, string subject, string reason, IReadOnlyDictionary<string, string>? data = null)
    {
        lock (_lock)
        {
            var e = new ClusterEvent(_events.Count + 1, _time.GetUtcNow(), Node, kind, subject, reason) { Data = data };
            _events.Add(e);
            foreach (var w in _waiters.Where(w => w.Match(e)).ToList())
            {
                _waiters.Remove(w);
                w.Done.TrySetResult(e);
            }
            return e;
        }
    }

    /// <summary>Waits for a matching event (already recorded after <paramref name="after"/>, or future).</summary>
    public async Task<ClusterEvent> WaitAsync(string kind, string subject, TimeSpan deadline, long after = 0)
    {
        Task<ClusterEvent> task;
        lock (_lock)
        {
            var existing = _events.FirstOrDefault(e => e.Sequence > after && e.Kind == kind && e.Subject == subject);
            if (existing is not null)
            {
                return existing;
            }
            var tcs = new TaskCompletionSource<ClusterEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((e => e.Sequence > after && e.Kind == kind && e.Subject == subject, tcs));
            task = tcs.Task;
        }
        try
        {
            return await task.WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"no '{kind}' event for '{subject}' within {deadline.TotalMilliseconds} ms; events so far: "
                + string.Join("; ", Events.Select(e => $"{e.Kind} {e.Subject} ({e.Reason})")));
        }
    }
}

/// <summary>A logger factory that discards everything.</summary>
internal static class Logs
{
    public static ILoggerFactory None => Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
}
