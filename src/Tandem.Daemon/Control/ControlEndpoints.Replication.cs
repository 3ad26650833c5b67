using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Daemon.Subsystems;

namespace Tandem.Daemon.Control;

internal static partial class ControlEndpoints
{
    /// <summary>The replication commands, by their name in the URL (<c>POST /v1/volumes/r0/primary</c>).</summary>
    public static readonly IReadOnlyDictionary<string, ReplicationAction> ReplicationActions = new Dictionary<string, ReplicationAction>(StringComparer.Ordinal)
    {
        ["up"] = ReplicationAction.Up,
        ["down"] = ReplicationAction.Down,
        ["primary"] = ReplicationAction.Primary,
        ["secondary"] = ReplicationAction.Secondary,
        ["connect"] = ReplicationAction.Connect,
        ["disconnect"] = ReplicationAction.Disconnect,
        ["verify"] = ReplicationAction.Verify,
        ["invalidate"] = ReplicationAction.Invalidate,
        ["new-current-uuid"] = ReplicationAction.NewCurrentUuid,
        ["outdate"] = ReplicationAction.Outdate,
        ["resume-io"] = ReplicationAction.ResumeIo,
        ["resize"] = ReplicationAction.Resize,
    };

    /// <summary>Maps <c>POST /v1/volumes/{name}/{action}</c> for every replication command.</summary>
    /// <param name="app">The application.</param>
    public static void MapReplication(IEndpointRouteBuilder app)
    {
        foreach (var action in ReplicationActions.Keys)
        {
            app.MapPost($"/v1/volumes/{{name}}/{action}", context => PostReplicationAsync(context, ReplicationActions[action]));
        }
    }

    private static async Task PostReplicationAsync(HttpContext context, ReplicationAction action)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        var volumes = context.RequestServices.GetService<VolumeExportSubsystem>();
        if (volumes is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status404NotFound, "this daemon serves no volumes (its cluster subsystems are off)").ConfigureAwait(false);
            return;
        }
        VolumeActionRequest? request = null;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(body))
            {
                request = JsonSerializer.Deserialize(body, ControlJsonContext.Default.VolumeActionRequest);
            }
        }
        catch (JsonException e)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                $"the body must be empty or {{\"force\", \"discardMyData\", \"clearBitmap\", \"resyncFromHere\", \"assumeClean\": true|false, \"size\": bytes}}: {e.Message}").ConfigureAwait(false);
            return;
        }
        var options = new ReplicationActionOptions(request?.Force ?? false, request?.DiscardMyData ?? false,
            request?.ClearBitmap ?? false, request?.ResyncFromHere ?? false, request?.Size, request?.AssumeClean ?? false);
        try
        {
            var result = await volumes.RunReplicationActionAsync(name, action, options, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(result, ControlJsonContext.Default.ReplicationActionResult), context.RequestAborted).ConfigureAwait(false);
        }
        catch (VolumeOperationException e)
        {
            await WriteErrorAsync(context, StatusOf(e.Error), e.Message).ConfigureAwait(false);
        }
    }
}
