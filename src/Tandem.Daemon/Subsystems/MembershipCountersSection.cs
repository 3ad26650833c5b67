using System.Text.Json.Nodes;
using Tandem.Core.Status;

namespace Tandem.Daemon.Subsystems;

/// <summary>
/// The <c>membership</c> section of <c>tandem status</c>: this node's generation, timing, stalls,
/// accepted and rejected packets by reason, and connectivity.
/// </summary>
/// <param name="membership">The membership subsystem whose snapshot is drawn.</param>
public sealed class MembershipCountersSection(MembershipSubsystem membership) : IStatusSection
{
    /// <inheritdoc/>
    public string Name => "membership";

    /// <inheritdoc/>
    public JsonNode GetSnapshot()
    {
        var snapshot = membership.GetMembershipSnapshot();
        if (snapshot is null)
        {
            return new JsonObject { ["status"] = "disabled" };
        }
        var result = new JsonObject();
        foreach (var key in new[] { "status", "generation", "timing_ms", "stalls", "accepted", "rejected", "receive_errors", "connectivity", "channel" })
        {
            if (snapshot[key] is { } value)
            {
                result[key] = value.DeepClone();
            }
        }
        return result;
    }
}
