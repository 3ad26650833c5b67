using Microsoft.Extensions.Logging;
using Tandem.Core.Events;

namespace Tandem.Replication;

/// <summary>
/// Where a volume and its parts (disk, resync, verify) report: the operator event stream (every
/// event names the resource and this node), the logger, and the DRBD notification handlers
/// (<c>split-brain</c>, <c>after-resync-target</c>, ...), which run in the background and report
/// their exit code as an event.
/// </summary>
internal sealed class VolumeEvents(ReplicatedVolumeOptions options, IEventSink? sink, ILogger logger, CancellationToken stopping)
{
    /// <summary>The resource every event and log line names.</summary>
    public string Resource => options.Resource;

    /// <summary>The volume's logger (for the <see cref="Log"/> messages).</summary>
    public ILogger Logger { get; } = logger;

    /// <summary>Publishes an event about this resource, with this node's name added to its data.</summary>
    public void Publish(string kind, string reason, params (string Key, string Value)[] data)
    {
        var d = data.ToDictionary(x => x.Key, x => x.Value);
        d["node"] = options.NodeName;
        sink?.Publish(kind, Resource, reason, d);
    }

    /// <summary>Publishes a change of one of the volume's states (<c>volume.role</c>, <c>volume.disk</c>, ...) with the old and new value.</summary>
    public void Changed<T>(string kind, T old, T @new, string reason)
        where T : struct, Enum =>
        Publish(kind, reason, ("old", old.ToString()), ("new", @new.ToString()));

    /// <summary>Starts a notification handler if one is configured under that name.</summary>
    public void NotifyHandler(string name)
    {
        if (options.Handlers.TryGetValue(name, out var command))
        {
            _ = RunHandlerAsync(name, command);
        }
    }

    /// <summary>Runs a handler command (stopped with the volume); publishes <c>volume.handler</c> with its exit code.</summary>
    /// <returns>The exit code; null when none is configured, it did not start, timed out or the volume stopped.</returns>
    public async Task<int?> RunHandlerAsync(string name, string? command)
    {
        if (command is null)
        {
            Publish("volume.handler", $"no {name} handler is configured", ("handler", name), ("exitCode", "none"));
            return null;
        }
        int? code;
        try
        {
            code = await HandlerRunner.RunAsync(command, options, options.HandlerTimeout, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        var text = code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";
        Log.HandlerRan(Logger, Resource, name, text);
        Publish("volume.handler", code is null ? $"{name} handler did not start or timed out" : $"{name} handler exited with {text}",
            ("handler", name), ("exitCode", text));
        return code;
    }
}
