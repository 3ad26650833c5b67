using Tandem.Core.Status;
using Tandem.Daemon.Control;
using Tandem.Daemon.Events;
using Tandem.Resources.Groups;

namespace Tandem.Daemon.Status;

/// <summary>
/// Assembles <c>tandem status</c>: the node's identity, then a snapshot of every registered
/// <see cref="IStatusSection"/>. The well-known sections are always present (empty until the
/// subsystem that fills them is registered), so that clients and scripts can rely on them.
/// </summary>
public sealed class StatusService
{
    /// <summary>The sections every status document has, in this order, before any other.</summary>
    public static IReadOnlyList<string> WellKnownSections { get; } = ["links", "peers", "volumes", "groups"];

    /// <summary>Names a section may not take, because the document itself uses them.</summary>
    public static IReadOnlySet<string> ReservedNames => StatusDocument.FixedNames;

    private readonly NodeContext _node;
    private readonly IReadOnlyList<IStatusSection> _sections;
    private readonly EventLog _events;
    private readonly TimeProvider _time;

    /// <summary>Creates the service.</summary>
    /// <param name="node">This node.</param>
    /// <param name="sections">Every registered section.</param>
    /// <param name="events">The event log (for the last sequence number).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <exception cref="ArgumentException">Two sections share a name, or a section takes a reserved name.</exception>
    public StatusService(NodeContext node, IEnumerable<IStatusSection> sections, EventLog events, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _node = node;
        _sections = [.. sections];
        _events = events;
        _time = timeProvider;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in _sections)
        {
            if (ReservedNames.Contains(section.Name))
            {
                throw new ArgumentException($"status section '{section.Name}' ({section.GetType().Name}) takes a name the status document uses itself", nameof(sections));
            }
            if (!seen.Add(section.Name))
            {
                throw new ArgumentException($"two status sections are named '{section.Name}'", nameof(sections));
            }
        }
    }

    /// <summary>Takes a snapshot of the node.</summary>
    /// <returns>The status document.</returns>
    public StatusDocument GetStatus()
    {
        var now = _time.GetUtcNow();
        var status = new StatusDocument
        {
            Node = _node.NodeName,
            Cluster = _node.Spec.Name,
            Version = NodeContext.Version,
            Pid = Environment.ProcessId,
            ConfigSources = _node.Spec.Sources,
            StartedAt = _node.StartedAt,
            UptimeSeconds = Math.Round(Math.Max(0, (now - _node.StartedAt).TotalSeconds), 3),
            StateDirectory = _node.Options.StateDirectory,
            RunDirectory = _node.Options.RunDirectory,
            LastEvent = _events.LastSequence,
        };
        foreach (var name in WellKnownSections)
        {
            var section = _sections.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
            status.Sections[name] = section is null ? Placeholder(name) : Snapshot(section);
        }
        foreach (var section in _sections.Where(s => !WellKnownSections.Contains(s.Name, StringComparer.OrdinalIgnoreCase)))
        {
            status.Sections[section.Name] = Snapshot(section);
        }
        return status;
    }

    /// <summary>The empty form of a well-known section whose subsystem is not registered.</summary>
    private static object Placeholder(string name) => name switch
    {
        "links" => Array.Empty<HeartbeatLinkStatus>(),
        "peers" => Array.Empty<PeerStatus>(),
        "volumes" => Array.Empty<VolumeStatus>(),
        _ => Array.Empty<GroupStatus>(),
    };

    private static object Snapshot(IStatusSection section)
    {
        try
        {
            var snapshot = section.GetSnapshot();
            // Checked here rather than when the document is written, so that one section the API
            // cannot write shows as that section's error instead of failing the whole status.
            return ControlJsonContext.Default.GetTypeInfo(snapshot.GetType()) is not null
                ? snapshot
                : new SectionError($"the {section.Name} section reports a {snapshot.GetType().Name}, which the control API cannot write");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One broken section must not hide the others from an operator who needs status most
            // exactly when something is broken.
            return new SectionError($"{e.GetType().Name}: {e.Message}");
        }
    }
}
