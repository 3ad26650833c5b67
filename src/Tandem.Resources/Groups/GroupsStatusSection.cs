using System.Collections.Concurrent;
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
    object IStatusSection.GetSnapshot() => GetSnapshot();

    /// <summary>Every group, by name.</summary>
    /// <returns>The groups.</returns>
    public GroupStatus[] GetSnapshot() =>
    [
        .. _runners.Values.OrderBy(r => r.Group.Name, StringComparer.Ordinal).Select(runner =>
        {
            var state = runner.State;
            return new GroupStatus
            {
                Name = runner.Group.Name,
                PreferredNode = runner.Group.PreferredNode,
                // This node reports only itself: the group runs here, or not here (the peer's section says where).
                RunningOn = state is GroupState.Running or GroupState.Recovering or GroupState.StopFailed ? runner.NodeName : null,
                State = state.ToString().ToLowerInvariant(),
                Resources = [.. runner.Resources.Select(GroupResourceStatus.From)],
            };
        }),
    ];
}
