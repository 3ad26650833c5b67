using Tandem.Core.Model;

namespace Tandem.Config;

/// <summary>
/// Checks that hold across files: the parts of one configuration must name each other
/// consistently (nodes, replicated resources, groups). Per-file rules live in each reader.
/// </summary>
public static class ClusterValidator
{
    /// <summary>Adds a diagnostic for every inconsistency between the parts of <paramref name="spec"/>.</summary>
    /// <param name="spec">The model as read.</param>
    /// <param name="options">The load options (for the local node and file names).</param>
    /// <param name="diagnostics">Receives the findings.</param>
    public static void Validate(ClusterSpec spec, ConfigOptions options, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(diagnostics);
        if (diagnostics.HasErrors)
        {
            return; // cross-file checks on a model with holes only add noise
        }
        var where = options.NativeConfig ?? options.EffectiveHaDirectory;
        var nodeNames = string.Join(", ", spec.Nodes.Select(n => n.Name));

        if (options.LocalNode is { } local && spec.FindNode(local) is null)
        {
            diagnostics.Error("CFG001", where, 0, 0,
                $"this node, '{local}', is not a member of the cluster (members: {nodeNames})",
                "pass --node NAME with one of the members, or add a 'node' line for this machine");
        }

        foreach (var group in spec.Groups)
        {
            if (spec.FindNode(group.PreferredNode) is null)
            {
                diagnostics.Error("CFG002", where, 0, 0,
                    $"group '{group.Name}' prefers node '{group.PreferredNode}', which is not a member (members: {nodeNames})",
                    "the first word of a haresources line must be a node name from ha.cf");
            }
            foreach (var resource in group.Resources)
            {
                if (IsVolumeAgent(resource.Agent) && VolumeName(resource) is { } res
                    && spec.Replicated.Count > 0
                    && !spec.Replicated.Any(r => r.Name == res))
                {
                    diagnostics.Error("CFG003", where, 0, 0,
                        $"group '{group.Name}' uses replicated resource '{res}', which drbd.conf does not define (defined: {string.Join(", ", spec.Replicated.Select(r => r.Name))})",
                        "check the resource name after 'drbddisk::'");
                }
            }
        }

        foreach (var resource in spec.Replicated)
        {
            foreach (var host in resource.Hosts)
            {
                if (spec.Nodes.Count > 0 && spec.FindNode(host.Name) is null)
                {
                    diagnostics.Error("CFG004", where, 0, 0,
                        $"replicated resource '{resource.Name}' has a section for host '{host.Name}', which is not a cluster node (members: {nodeNames})",
                        "the name after 'on' in drbd.conf must equal a node name (uname -n)");
                }
            }
        }

        var groupVolumes = spec.Groups.SelectMany(g => g.Resources).Where(r => IsVolumeAgent(r.Agent)).Select(VolumeName).ToHashSet();
        foreach (var resource in spec.Replicated.Where(r => !groupVolumes.Contains(r.Name) && spec.Groups.Count > 0))
        {
            diagnostics.Warning("CFG005", where, 0, 0,
                $"replicated resource '{resource.Name}' is in no resource group: nothing will promote it on failover",
                "add drbddisk::" + resource.Name + " to a haresources line if a service depends on it");
        }
    }

    private static bool IsVolumeAgent(string agent) => VolumeResource.IsVolumeAgent(agent);

    private static string? VolumeName(ResourceSpec resource) => VolumeResource.NameOf(resource);
}
