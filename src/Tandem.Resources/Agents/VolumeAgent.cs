using Tandem.Core.Model;

namespace Tandem.Resources.Agents;

/// <summary>
/// Built-in <c>volume</c> (also <c>drbddisk</c>): start promotes the replicated volume and attaches
/// its block device, stop detaches and demotes it, monitor checks both.
/// </summary>
public sealed class VolumeAgent : BuiltInAgent
{
    private readonly IVolumeControl? _volumes;

    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource: the volume is the first argument or <c>Parameters["volume"]</c>.</param>
    /// <param name="context">Node and group facts.</param>
    /// <param name="volumes">The volume layer; null when this node has none (every action then fails as not installed).</param>
    /// <param name="time">The clock; null for the system clock.</param>
    public VolumeAgent(ResourceSpec spec, AgentContext context, IVolumeControl? volumes, TimeProvider? time = null)
        : base(spec, context, time) => _volumes = volumes;

    /// <summary>The volume name, or null when the resource names none.</summary>
    public string? Volume => VolumeOf(Spec);

    /// <summary>Whether a resource is the built-in volume agent (<c>volume</c>, or <c>drbddisk</c>).</summary>
    /// <param name="spec">A resource.</param>
    /// <returns>True for a built-in drbddisk/volume resource.</returns>
    public static bool IsVolumeResource(ResourceSpec spec) => VolumeResource.Is(spec);

    /// <summary>The volume a volume resource names: its <c>volume</c> parameter, else its first argument.</summary>
    /// <param name="spec">A resource.</param>
    /// <returns>The volume name, or null when it names none.</returns>
    public static string? VolumeOf(ResourceSpec spec) => VolumeResource.NameOf(spec);

    /// <inheritdoc />
    public override string Describe => $"builtin:{Spec.Agent}:{Volume}";

    /// <inheritdoc />
    public override Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) => Task.FromResult(Check() ?? AgentResult.Ok());

    /// <inheritdoc />
    protected override async Task<AgentResult> StartCoreAsync(CancellationToken cancellationToken)
    {
        if (Check() is { } bad)
        {
            return bad;
        }
        var volume = Volume!;
        var how = "";
        if (!_volumes!.IsPrimary(volume))
        {
            if (PromoteWait() is not { } wait)
            {
                return new AgentResult(AgentCode.NotConfigured, $"promote_wait must be a number of seconds or a duration such as 30s or 500ms, not '{Spec.Parameters[VolumeResource.PromoteWaitParameter]}'");
            }
            var promoted = await _volumes.PromoteAsync(volume, cancellationToken).ConfigureAwait(false);
            // As Heartbeat's drbddisk retries `drbdadm primary`: a volume that is still connecting or
            // finishing its sync may become promotable within moments.
            var until = Time.GetTimestamp() + (long)(wait.TotalSeconds * Time.TimestampFrequency);
            while (!promoted.Success && Time.GetTimestamp() < until)
            {
                await Task.Delay(PromoteRetry, Time, cancellationToken).ConfigureAwait(false);
                promoted = await _volumes.PromoteAsync(volume, cancellationToken).ConfigureAwait(false);
            }
            if (!promoted.Success)
            {
                return new AgentResult(AgentCode.GenericError, $"promote {volume} failed: {promoted.Message}");
            }
            how = $" ({promoted.Message})";
        }
        if (!AttachWanted)
        {
            return AgentResult.Ok($"{volume} primary{how}, no block device (attach = no)");
        }
        if (_volumes.AttachedDevice(volume) is { } device)
        {
            return AgentResult.Ok($"{volume} primary{how}, device {device}");
        }
        var attached = await _volumes.AttachDeviceAsync(volume, cancellationToken).ConfigureAwait(false);
        return attached.Success
            ? AgentResult.Ok($"{volume} primary{how}, device {attached.Message}")
            : new AgentResult(AgentCode.GenericError, $"attach {volume} failed: {attached.Message}");
    }

    /// <inheritdoc />
    protected override async Task<AgentResult> StopCoreAsync(CancellationToken cancellationToken)
    {
        if (Check() is { } bad)
        {
            return bad.Code == AgentCode.NotConfigured ? bad : AgentResult.Ok("no volume layer: nothing to stop");
        }
        var volume = Volume!;
        if (_volumes!.AttachedDevice(volume) is not null)
        {
            var detached = await _volumes.DetachDeviceAsync(volume, cancellationToken).ConfigureAwait(false);
            if (!detached.Success)
            {
                return new AgentResult(AgentCode.GenericError, $"detach {volume} failed: {detached.Message}");
            }
        }
        if (_volumes.IsPrimary(volume))
        {
            var demoted = await _volumes.DemoteAsync(volume, cancellationToken).ConfigureAwait(false);
            if (!demoted.Success)
            {
                return new AgentResult(AgentCode.GenericError, $"demote {volume} failed: {demoted.Message}");
            }
        }
        return AgentResult.Ok($"{volume} secondary");
    }

    /// <inheritdoc />
    protected override Task<AgentResult> MonitorCoreAsync(CancellationToken cancellationToken)
    {
        if (Check() is { } bad)
        {
            return Task.FromResult(bad.Code == AgentCode.NotConfigured ? bad : new AgentResult(AgentCode.NotRunning, bad.Output));
        }
        var volume = Volume!;
        var primary = _volumes!.IsPrimary(volume);
        if (!AttachWanted)
        {
            return Task.FromResult(primary ? AgentResult.Ok($"{volume} primary") : new AgentResult(AgentCode.NotRunning, $"{volume} secondary"));
        }
        var device = _volumes.AttachedDevice(volume);
        return Task.FromResult((primary, device) switch
        {
            (true, not null) => AgentResult.Ok($"{volume} primary, device {device}"),
            (false, null) => new AgentResult(AgentCode.NotRunning, $"{volume} secondary"),
            (true, null) => new AgentResult(AgentCode.GenericError, $"{volume} primary but its device is not attached"),
            (false, not null) => new AgentResult(AgentCode.GenericError, $"{volume} device {device} attached but not primary"),
        });
    }

    private static readonly TimeSpan PromoteRetry = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan DefaultPromoteWait = TimeSpan.FromSeconds(6);

    /// <summary>
    /// Whether the volume is also made a block device. <c>attach = "no"</c> leaves it promoted with
    /// only its NBD export, for services that speak NBD themselves (and hosts without root).
    /// </summary>
    private bool AttachWanted => !Spec.Parameters.TryGetValue(VolumeResource.AttachParameter, out var a)
        || !(string.Equals(a, "no", StringComparison.OrdinalIgnoreCase) || string.Equals(a, "false", StringComparison.OrdinalIgnoreCase)
            || a == "0");

    /// <summary>
    /// How long a refused promotion is retried (<c>promote_wait</c>); null when unreadable. The default,
    /// 6 s, is what Heartbeat's drbddisk script does: six tries of <c>drbdadm primary</c>, a second apart.
    /// </summary>
    private TimeSpan? PromoteWait()
    {
        if (!Spec.Parameters.TryGetValue(VolumeResource.PromoteWaitParameter, out var text))
        {
            return DefaultPromoteWait;
        }
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : (text, 1.0);
        return double.TryParse(number, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && value >= 0 && value <= 3600
            ? TimeSpan.FromSeconds(value * scale)
            : null;
    }

    private AgentResult? Check() =>
        Spec.Parameters.Keys.Select(VolumeResource.CheckParameter).FirstOrDefault(p => p is not null) is { } unknown
            ? new AgentResult(AgentCode.NotConfigured, $"{unknown.Problem}: {unknown.Hint}")
        : Volume is null ? new AgentResult(AgentCode.NotConfigured, $"{Spec.Agent} needs a volume name ({Spec.Agent}::r0)")
        : _volumes is null ? new AgentResult(AgentCode.NotInstalled, "no replicated volume layer on this node")
        : null;
}
