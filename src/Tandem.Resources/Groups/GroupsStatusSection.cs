using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Tandem.Core.Status;

namespace Tandem.Resources.Groups;

/// <summary>The <c>groups</c> section of <c>tandem status</c>: each group, where it runs, each resource's state and last failure.</summary>
public sealed class GroupsStatusSection : IStatusSection
{
    private readonly ConcurrentDictionary<string, GroupRunner> _runners = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => "groups";

    /// <summary>Adds (or replaces) a group's runner.</summary>
    /// <param name="runner">The runner.</param>
    public void Register(GroupRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        _runners[runner.Group.Name] = runner;
    }

    /// <summary>Removes a group.</summary>
    /// <param name="group">The group name.</param>
    public void Unregister(string group) => _runners.TryRemove(group, out _);

    /// <inheritdoc />
    public JsonNode GetSnapshot()
    {
        var groups = new JsonArray();
        foreach (var runner in _runners.Values.OrderBy(r => r.Group.Name, StringComparer.Ordinal))
        {
            var state = runner.State;
            var resources = new JsonArray();
            foreach (var r in runner.Resources)
            {
                resources.Add(new JsonObject
                {
                    ["id"] = r.Id,
                    ["agent"] = r.Agent,
                    ["state"] = r.State.ToString().ToLowerInvariant(),
                    ["lastFailure"] = r.LastFailure,
                    ["lastFailureTime"] = r.LastFailureTime?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["restarts"] = r.Restarts,
                });
            }
            groups.Add(new JsonObject
            {
                ["name"] = runner.Group.Name,
                ["preferredNode"] = runner.Group.PreferredNode,
                // This node reports only itself: the group runs here, or not here (the peer's section says where).
                ["runningOn"] = state is GroupState.Running or GroupState.Recovering or GroupState.StopFailed ? runner.NodeName : null,
                ["state"] = state.ToString().ToLowerInvariant(),
                ["resources"] = resources,
            });
        }
        return groups;
    }
}
