namespace Tandem.Core.Model;

/// <summary>
/// What a <c>volume</c>/<c>drbddisk</c> resource means: which resource it is, which parameters it
/// takes and which volume it names. The configuration checker and the volume agent both read a
/// resource through this type, so that a file the checker accepts is a file the agent can run.
/// </summary>
public static class VolumeResource
{
    /// <summary>The parameter naming the replicated volume (DRBD's resource name, <c>r0</c>).</summary>
    public const string VolumeParameter = "volume";

    /// <summary>The parameter saying whether the volume is also made a block device (<c>yes</c>/<c>no</c>).</summary>
    public const string AttachParameter = "attach";

    /// <summary>The parameter saying how long a refused promotion is retried (<c>6s</c>).</summary>
    public const string PromoteWaitParameter = "promote_wait";

    /// <summary>Every parameter the volume agent reads, in the order the docs list them.</summary>
    public static IReadOnlyList<string> Parameters { get; } = [VolumeParameter, AttachParameter, PromoteWaitParameter];

    /// <summary>Whether an agent name is the volume agent's (<c>volume</c>, or Heartbeat's <c>drbddisk</c>).</summary>
    /// <param name="agent">The agent name.</param>
    /// <returns>True for <c>volume</c> and <c>drbddisk</c>.</returns>
    public static bool IsVolumeAgent(string agent) => agent is "drbddisk" or "volume";

    /// <summary>Whether a resource is run by the built-in volume agent.</summary>
    /// <param name="spec">A resource.</param>
    /// <returns>True for a built-in <c>volume</c>/<c>drbddisk</c> resource.</returns>
    public static bool Is(ResourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Class == AgentClass.BuiltIn && IsVolumeAgent(spec.Agent);
    }

    /// <summary>The volume a volume resource names: its <c>volume</c> parameter, else its first argument (<c>drbddisk::r0</c>).</summary>
    /// <param name="spec">A resource.</param>
    /// <returns>The volume name, or null when it names none.</returns>
    public static string? NameOf(ResourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Parameters.TryGetValue(VolumeParameter, out var v) ? v : spec.Arguments.Count > 0 ? spec.Arguments[0] : null;
    }

    /// <summary>
    /// Why a parameter name is not one the volume agent reads, with what to write instead; null when it is one.
    /// </summary>
    /// <param name="name">The parameter name as written.</param>
    /// <returns>(problem, hint), or null for a known parameter.</returns>
    public static (string Problem, string Hint)? CheckParameter(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Parameters.Contains(name, StringComparer.Ordinal))
        {
            return null;
        }
        // DRBD's own word for the thing is "resource" (drbdadm primary r0 names a resource): the
        // most likely slip of a DRBD administrator gets its own answer.
        var hint = name is "resource" or "drbd_resource" or "name"
            ? $"write {VolumeParameter} = \"...\": the volume agent names the replicated resource with '{VolumeParameter}'"
            : $"the volume agent reads only {string.Join(", ", Parameters)}";
        return ($"the volume agent has no parameter '{name}'", hint);
    }
}
