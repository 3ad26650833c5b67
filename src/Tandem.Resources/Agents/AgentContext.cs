using Tandem.Core.Model;

namespace Tandem.Resources.Agents;

/// <summary>
/// What agents may need to know beyond their own resource: this node, the group, where mail goes,
/// and why the group is being moved right now (MailTo says so in its message).
/// </summary>
public sealed class AgentContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="nodeName">This node's name.</param>
    /// <param name="groupName">The group the agent belongs to.</param>
    public AgentContext(string nodeName, string groupName)
    {
        NodeName = nodeName;
        GroupName = groupName;
    }

    /// <summary>This node's name.</summary>
    public string NodeName { get; }

    /// <summary>The group the agent belongs to.</summary>
    public string GroupName { get; }

    /// <summary>Where notification mail goes.</summary>
    public NotificationSpec Notification { get; init; } = new();

    /// <summary>The reason of the group operation in progress; set by the group runner before each operation.</summary>
    public string CurrentReason { get; set; } = "administrative request";

    /// <summary>The OCF root.</summary>
    /// <value><c>/usr/lib/ocf</c>.</value>
    public string OcfRoot { get; init; } = "/usr/lib/ocf";

    /// <summary>Heartbeat R1 script directories, searched in order when a script has no <c>path</c> parameter.</summary>
    public IReadOnlyList<string> ScriptDirectories { get; init; } = ["/etc/ha.d/resource.d", "/etc/init.d"];
}
