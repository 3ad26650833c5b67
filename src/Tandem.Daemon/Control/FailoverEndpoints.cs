using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Daemon.Failover;
using Tandem.Resources.Placement;

namespace Tandem.Daemon.Control;

/// <summary>
/// The placement part of the control API: <c>POST /v1/standby</c>, <c>/v1/takeover</c> (body
/// <c>{"groups": "all|local|foreign"}</c>, optional), <c>/v1/failback</c> and <c>/v1/fence/confirm</c>
/// (body <c>{"node": "NAME"}</c>). 202 when the move is under way, 409 when it is refused (the
/// message says why), 404 when the daemon runs no resource manager.
/// </summary>
internal static class FailoverEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The application.</param>
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/standby", context => PlaceAsync(context, "standby"));
        app.MapPost("/v1/takeover", context => PlaceAsync(context, "takeover"));
        app.MapPost("/v1/failback", context => PlaceAsync(context, "failback"));
        app.MapPost("/v1/fence/confirm", ConfirmAsync);
    }

    private static async Task PlaceAsync(HttpContext context, string action)
    {
        var resources = context.RequestServices.GetService<ResourceSubsystem>();
        if (resources is null)
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, new ErrorDocument("this daemon runs no resource manager (its cluster subsystems are off)"), FailoverJsonContext.Default.ErrorDocument).ConfigureAwait(false);
            return;
        }
        var set = GroupSet.All;
        if (action != "failback")
        {
            PlacementRequest? request;
            try
            {
                request = await ReadAsync(context, FailoverJsonContext.Default.PlacementRequest).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                await WriteAsync(context, StatusCodes.Status400BadRequest, new ErrorDocument($"the body must be {{\"groups\": \"all|local|foreign\"}} or empty: {e.Message}"), FailoverJsonContext.Default.ErrorDocument).ConfigureAwait(false);
                return;
            }
            if (!TryParseSet(request?.Groups, out set))
            {
                await WriteAsync(context, StatusCodes.Status400BadRequest, new ErrorDocument($"groups must be all, local or foreign, not '{request?.Groups}'"), FailoverJsonContext.Default.ErrorDocument).ConfigureAwait(false);
                return;
            }
        }
        var outcome = action switch
        {
            "standby" => await resources.StandbyAsync(set, context.RequestAborted).ConfigureAwait(false),
            "takeover" => await resources.TakeoverAsync(set, context.RequestAborted).ConfigureAwait(false),
            _ => await resources.FailbackAsync(context.RequestAborted).ConfigureAwait(false),
        };
        await AnswerAsync(context, action, outcome).ConfigureAwait(false);
    }

    private static async Task ConfirmAsync(HttpContext context)
    {
        FenceConfirmRequest? request;
        try
        {
            request = await ReadAsync(context, FailoverJsonContext.Default.FenceConfirmRequest).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, new ErrorDocument($"the body must be {{\"node\": \"NAME\"}}: {e.Message}"), FailoverJsonContext.Default.ErrorDocument).ConfigureAwait(false);
            return;
        }
        var node = context.RequestServices.GetRequiredService<NodeContext>();
        if (string.IsNullOrWhiteSpace(request?.Node) || node.Spec.FindNode(request.Node) is not { } target)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest,
                new ErrorDocument($"name a member of the cluster ({string.Join(", ", node.Spec.Nodes.Select(n => n.Name))}), not '{request?.Node}'"), FailoverJsonContext.Default.ErrorDocument).ConfigureAwait(false);
            return;
        }
        if (string.Equals(target.Name, node.NodeName, StringComparison.OrdinalIgnoreCase))
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest,
                new ErrorDocument($"{target.Name} is this node: confirm its fencing on the other node"), FailoverJsonContext.Default.ErrorDocument).ConfigureAwait(false);
            return;
        }
        PlacementOutcome outcome;
        if (context.RequestServices.GetService<ResourceSubsystem>() is { } resources)
        {
            outcome = await resources.ConfirmFencedAsync(target.Name, context.RequestAborted).ConfigureAwait(false);
        }
        else if (context.RequestServices.GetService<FencingSubsystem>() is { } fencing)
        {
            outcome = fencing.Coordinator.Confirm(target.Name)
                ? new PlacementOutcome(true, [], $"the manual fencing of {target.Name} is confirmed")
                : new PlacementOutcome(false, [], $"nothing waits for a confirmation that {target.Name} is off");
        }
        else
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, new ErrorDocument("this daemon runs no fencing (its cluster subsystems are off)"), FailoverJsonContext.Default.ErrorDocument).ConfigureAwait(false);
            return;
        }
        await AnswerAsync(context, "fence-confirm", outcome).ConfigureAwait(false);
    }

    private static Task AnswerAsync(HttpContext context, string action, PlacementOutcome outcome)
    {
        if (!outcome.Accepted)
        {
            return WriteAsync(context, StatusCodes.Status409Conflict, new ErrorDocument(outcome.Message), FailoverJsonContext.Default.ErrorDocument);
        }
        var node = context.RequestServices.GetRequiredService<NodeContext>();
        return WriteAsync(context, StatusCodes.Status202Accepted, new PlacementDocument(node.NodeName, action, outcome.Groups, outcome.Message), FailoverJsonContext.Default.PlacementDocument);
    }

    /// <summary>Parses <c>all</c>, <c>local</c>, <c>foreign</c> (and Heartbeat's <c>failback</c>, which means <c>foreign</c>); null or empty is <c>all</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="set">The set.</param>
    /// <returns>False when the text names no set.</returns>
    public static bool TryParseSet(string? text, out GroupSet set)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "" or "all":
                set = GroupSet.All;
                return true;
            case "local":
                set = GroupSet.Local;
                return true;
            case "foreign" or "failback":
                set = GroupSet.Foreign;
                return true;
            default:
                set = GroupSet.All;
                return false;
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(body) ? default : JsonSerializer.Deserialize(body, type);
    }

    private static async Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted).ConfigureAwait(false);
    }
}
