using System.Globalization;
using System.Text.Json;
using Tandem.Core.Events;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Output;

/// <summary>Formats events for <c>tandem events</c>.</summary>
public static class EventFormatter
{
    /// <summary>One line per event: <c>2026-11-25T19:20:01.123Z #5 ovz-node1 daemon.started daemon: reason</c>.</summary>
    /// <param name="ev">The event.</param>
    /// <returns>The line, without a newline.</returns>
    public static string Format(ClusterEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return string.Create(CultureInfo.InvariantCulture,
            $"{ev.Time.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fff}Z #{ev.Sequence} {ev.Node} {ev.Kind} {ev.Subject}: {ev.Reason}");
    }

    /// <summary>One JSON document per event, as the daemon sends it.</summary>
    /// <param name="ev">The event.</param>
    /// <returns>The JSON line, without a newline.</returns>
    public static string FormatJson(ClusterEvent ev) => JsonSerializer.Serialize(ev, ControlJsonContext.Default.ClusterEvent);
}
