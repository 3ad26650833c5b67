using Tandem.Core.Model;

namespace Tandem.Config.Classic;

/// <summary>Reads Heartbeat's <c>ha.cf</c>, <c>authkeys</c> and <c>haresources</c> from one directory.</summary>
public static class HeartbeatReader
{
    /// <summary>Reads the three files of <see cref="ConfigOptions.EffectiveHaDirectory"/> into a cluster model.</summary>
    /// <param name="options">Where to read, and facts about this machine.</param>
    /// <param name="diagnostics">Receives every finding, located by file, line and column.</param>
    /// <returns>The cluster without replicated resources; partial when there were errors.</returns>
    public static ClusterSpec Read(ConfigOptions options, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var directory = options.EffectiveHaDirectory;
        var haCfPath = Path.Combine(directory, "ha.cf");
        var authPath = Path.Combine(directory, "authkeys");
        var resourcesPath = Path.Combine(directory, "haresources");
        var sources = new List<string>();

        var haCf = HaCfReader.Read(haCfPath, options.IsLocalAddress, diagnostics, options.Host, options.StartChecksAreErrors);
        if (haCf is not null)
        {
            sources.Add(haCfPath);
        }
        var spec = haCf?.Spec ?? new ClusterSpec();

        var auth = AuthKeysReader.Read(authPath, options, diagnostics);
        if (File.Exists(authPath))
        {
            sources.Add(authPath);
        }

        IReadOnlyList<GroupSpec> groups = [];
        if (File.Exists(resourcesPath) || Directory.Exists(resourcesPath))
        {
            groups = HaResourcesReader.Read(resourcesPath, spec.Nodes, options.EffectiveResourceScriptDirectories, diagnostics) ?? [];
            sources.Add(resourcesPath);
        }
        else
        {
            // Heartbeat 3.0.6 without Pacemaker refuses to start without it.
            diagnostics.Error("HARES001", resourcesPath, 0, 0,
                $"Cannot open resources file [{resourcesPath}]",
                "create it; an empty haresources (or one of comments) runs membership only, with no resource groups");
        }

        if (haCf is not null && groups.Count > 0)
        {
            CheckWithGroups(haCf, haCfPath, diagnostics);
        }
        return spec with { Auth = auth, Groups = groups, Sources = sources };
    }

    private static void CheckWithGroups(HaCfDocument haCf, string haCfPath, DiagnosticBag diagnostics)
    {
        if (haCf.Autojoin is "other" or "any")
        {
            diagnostics.Error("HACF031", haCfPath, haCf.AutojoinAt.Line, haCf.AutojoinAt.Column,
                $"R1 style resource management conflicts with autojoin: 'autojoin {haCf.Autojoin}' lets nodes join that haresources knows nothing of",
                "write 'autojoin none' (or remove the line) and list every node with 'node'");
        }
        if (haCf.Spec.AutoFailback == FailbackMode.Legacy)
        {
            diagnostics.Warning("HACF024", haCfPath, haCf.FailbackAt.Line, haCf.FailbackAt.Column,
                haCf.FailbackAt.Line == 0
                    ? "Deprecated 'legacy' auto_failback option selected (it is Heartbeat's default when auto_failback is not set): a preferred node pulls its groups back whenever it returns, and standby is not available"
                    : "Deprecated 'legacy' auto_failback option selected: a preferred node pulls its groups back whenever it returns, and standby is not available",
                "Please convert to 'auto_failback on' (groups move back) or 'auto_failback off' (groups stay until moved)");
        }
    }
}
