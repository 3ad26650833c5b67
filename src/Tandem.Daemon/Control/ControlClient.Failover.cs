using System.Text.Json;

namespace Tandem.Daemon.Control;

public sealed partial class ControlClient
{
    /// <summary>Hands the groups of a set that run on the daemon's node to its peer (<c>POST /v1/standby</c>).</summary>
    /// <param name="groups"><c>all</c>, <c>local</c> or <c>foreign</c>.</param>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The groups being moved.</returns>
    /// <exception cref="ControlApiException">Refused (409, with the reason) or a bad request.</exception>
    public Task<PlacementDocument> StandbyAsync(string groups = "all", CancellationToken cancellationToken = default) =>
        PlaceAsync("v1/standby", JsonSerializer.Serialize(new PlacementRequest(groups), FailoverJsonContext.Default.PlacementRequest), cancellationToken);

    /// <summary>Moves the groups of a set to the daemon's node (<c>POST /v1/takeover</c>).</summary>
    /// <param name="groups"><c>all</c>, <c>local</c> or <c>foreign</c>.</param>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The groups being moved.</returns>
    /// <exception cref="ControlApiException">Refused (409, with the reason) or a bad request.</exception>
    public Task<PlacementDocument> TakeoverAsync(string groups = "all", CancellationToken cancellationToken = default) =>
        PlaceAsync("v1/takeover", JsonSerializer.Serialize(new PlacementRequest(groups), FailoverJsonContext.Default.PlacementRequest), cancellationToken);

    /// <summary>Moves every group to its preferred node (<c>POST /v1/failback</c>).</summary>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The groups being moved.</returns>
    /// <exception cref="ControlApiException">Refused (409, with the reason).</exception>
    public Task<PlacementDocument> FailbackAsync(CancellationToken cancellationToken = default) =>
        PlaceAsync("v1/failback", null, cancellationToken);

    /// <summary>Tells the daemon that an operator knows <paramref name="node"/> is off (<c>POST /v1/fence/confirm</c>).</summary>
    /// <param name="node">The node.</param>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>What the confirmation did.</returns>
    /// <exception cref="ControlApiException">Nothing waited for the confirmation (409), or the node is not a member (400).</exception>
    public Task<PlacementDocument> ConfirmFencedAsync(string node, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        return PlaceAsync("v1/fence/confirm", JsonSerializer.Serialize(new FenceConfirmRequest(node), FailoverJsonContext.Default.FenceConfirmRequest), cancellationToken);
    }

    private async Task<PlacementDocument> PlaceAsync(string path, string? body, CancellationToken cancellationToken)
    {
        using var content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await SendAsync(HttpMethod.Post, path, HttpCompletionOption.ResponseContentRead, cancellationToken, content).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize(json, FailoverJsonContext.Default.PlacementDocument)
            ?? throw new ControlApiException((int)response.StatusCode, "the daemon sent an empty answer");
    }
}
