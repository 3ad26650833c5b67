using Tandem.Core.Model;

namespace Tandem.Resources.Agents;

/// <summary>Turns a <see cref="ResourceSpec"/> into the agent that drives it.</summary>
public sealed class AgentFactory
{
    private readonly IVolumeControl? _volumes;
    private readonly TimeProvider _time;

    /// <summary>Creates a factory.</summary>
    /// <param name="volumes">The replicated volume layer for <c>volume</c>/<c>drbddisk</c>; null when there is none.</param>
    /// <param name="time">The clock for built-in agents' timeouts; null for the system clock.</param>
    public AgentFactory(IVolumeControl? volumes = null, TimeProvider? time = null)
    {
        _volumes = volumes;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates the agent for a resource.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="context">Node and group facts.</param>
    /// <returns>The agent.</returns>
    public IResourceAgent Create(ResourceSpec spec, AgentContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Class switch
        {
            AgentClass.Ocf => new OcfAgent(spec, context),
            AgentClass.Lsb => new LsbAgent(spec, context),
            AgentClass.Heartbeat => new HeartbeatScriptAgent(spec, context),
            _ => spec.Agent switch
            {
                "process" => new ProcessAgent(spec, context, _time),
                "MailTo" => new MailToAgent(spec, context, _time),
                "Filesystem" => new FilesystemAgent(spec, context, _time),
                "IPaddr" or "IPaddr2" => new IpAddrAgent(spec, context, _time),
                "volume" or "drbddisk" => new VolumeAgent(spec, context, _volumes, _time),
                _ => new UnknownAgent(spec, context),
            },
        };
    }
}
