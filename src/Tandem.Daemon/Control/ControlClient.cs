using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Tandem.Core.Events;

namespace Tandem.Daemon.Control;

/// <summary>
/// A client of one daemon's control API, over <c>RUN_DIR/control.sock</c>. Every failure to reach
/// the daemon becomes a <see cref="DaemonUnreachableException"/> whose message an operator can act on.
/// </summary>
public sealed partial class ControlClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>Creates a client for the daemon of a run directory.</summary>
    /// <param name="runDirectory">The daemon's run directory.</param>
    public ControlClient(string runDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        RunDirectory = runDirectory;
        SocketPath = DaemonOptions.ControlSocketPath(runDirectory);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        // The host name is only for the Host header; the connection always goes to the socket.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://tandem/"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>The run directory.</summary>
    public string RunDirectory { get; }

    /// <summary>The control socket.</summary>
    public string SocketPath { get; }

    /// <summary>How long a non-streaming request may take.</summary>
    /// <value>10 s.</value>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reads the status document as the daemon sent it.</summary>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The JSON text.</returns>
    public async Task<string> GetStatusJsonAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, "v1/status", HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the status.</summary>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The status document.</returns>
    public async Task<StatusDocument> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var json = await GetStatusJsonAsync(cancellationToken).ConfigureAwait(false);
        return StatusDocument.Parse(json);
    }

    /// <summary>Reads the events the daemon still keeps after <paramref name="since"/>.</summary>
    /// <param name="since">The last sequence number the caller has; 0 for all.</param>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The events in order.</returns>
    public async Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(long since = 0, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, EventsPath(since, follow: false), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonSerializer.DeserializeAsync(stream, ControlJsonContext.Default.ListClusterEvent, cancellationToken).ConfigureAwait(false) ?? [];
        }
    }

    /// <summary>
    /// Follows the event stream: the kept events after <paramref name="since"/>, then each new one as
    /// it happens, until the daemon stops (the enumeration ends) or the token fires.
    /// </summary>
    /// <param name="since">The last sequence number the caller has.</param>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The events in order.</returns>
    public async IAsyncEnumerable<ClusterEvent> FollowEventsAsync(long since = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, EventsPath(since, follow: true), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream);
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The daemon went away mid-stream (killed, or stopped): the follow is over.
                    yield break;
                }
                if (line is null)
                {
                    yield break;
                }
                if (line.Length == 0)
                {
                    continue;
                }
                var ev = JsonSerializer.Deserialize(line, ControlJsonContext.Default.ClusterEvent);
                if (ev is not null)
                {
                    yield return ev;
                }
            }
        }
    }

    /// <summary>Asks the daemon to stop.</summary>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The daemon's answer.</returns>
    public async Task<ShutdownDocument> ShutdownAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Post, "v1/shutdown", HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize(json, ControlJsonContext.Default.ShutdownDocument)
            ?? throw new ControlApiException(202, "the daemon sent an empty answer");
    }

    /// <summary>Attaches a volume as a block device on the daemon's machine.</summary>
    /// <param name="name">The volume (export) name.</param>
    /// <param name="link">Whether to point the configured <c>device</c> at it.</param>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The attached device.</returns>
    public async Task<VolumeDocument> AttachVolumeAsync(string name, bool link = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var body = JsonSerializer.Serialize(new VolumeAttachRequest(link), ControlJsonContext.Default.VolumeAttachRequest);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await SendAsync(HttpMethod.Post, VolumePath(name, "attach"), HttpCompletionOption.ResponseContentRead, cancellationToken, content).ConfigureAwait(false);
        return await ReadVolumeAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Detaches a volume's block device on the daemon's machine.</summary>
    /// <param name="name">The volume (export) name.</param>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>What was detached (<see cref="VolumeDocument.Device"/> is null when nothing was attached).</returns>
    public async Task<VolumeDocument> DetachVolumeAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var response = await SendAsync(HttpMethod.Post, VolumePath(name, "detach"), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadVolumeAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a replication command on a volume (or every volume of a resource):
    /// <c>up</c>, <c>down</c>, <c>primary</c>, <c>secondary</c>, <c>connect</c>, <c>disconnect</c>,
    /// <c>verify</c>, <c>invalidate</c> or <c>new-current-uuid</c>.
    /// </summary>
    /// <param name="name">The volume (export) or resource name.</param>
    /// <param name="action">The command, as in the URL.</param>
    /// <param name="request">Its flags, or null for none.</param>
    /// <param name="cancellationToken">Aborts the request.</param>
    /// <returns>The daemon's answer as JSON: <c>name</c>, <c>action</c>, <c>message</c>, and <c>volumes</c> as in status.</returns>
    public async Task<string> RunVolumeActionAsync(string name, string action, VolumeActionRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(action);
        var body = JsonSerializer.Serialize(request ?? new VolumeActionRequest(), ControlJsonContext.Default.VolumeActionRequest);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await SendAsync(HttpMethod.Post, VolumePath(name, action), HttpCompletionOption.ResponseContentRead, cancellationToken, content).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private static string VolumePath(string name, string action) => $"v1/volumes/{Uri.EscapeDataString(name)}/{action}";

    private static async Task<VolumeDocument> ReadVolumeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize(json, ControlJsonContext.Default.VolumeDocument)
            ?? throw new ControlApiException((int)response.StatusCode, "the daemon sent an empty answer");
    }

    private static string EventsPath(long since, bool follow) =>
        string.Create(CultureInfo.InvariantCulture, $"v1/events?since={since}{(follow ? "&follow=true" : "")}");

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpCompletionOption completion, CancellationToken cancellationToken, HttpContent? content = null)
    {
        // The deadline covers the answer's headers (and, unless streaming, its body): a follow waits
        // for events as long as it likes, but not for a daemon that never answers at all.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            response = await _http.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DaemonUnreachableException(
                $"the daemon on {RunDirectory} did not answer within {RequestTimeout.TotalSeconds:0.#} s (socket {SocketPath}); it may be hung: check its log", e);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            string message;
            try
            {
                message = JsonSerializer.Deserialize(body, ControlJsonContext.Default.ErrorDocument)?.Error ?? body;
            }
            catch (JsonException)
            {
                message = body.Length > 0 ? body : response.ReasonPhrase ?? "error";
            }
            throw new ControlApiException((int)response.StatusCode, message);
        }
    }

    private DaemonUnreachableException Unreachable(HttpRequestException e)
    {
        var socketError = (e.InnerException as SocketException)?.SocketErrorCode
            ?? (e.InnerException?.InnerException as SocketException)?.SocketErrorCode;
        var message = socketError switch
        {
            // Before the existence check: a socket in a directory the caller may not enter does
            // not "exist" for File.Exists either (issue #18 item 8).
            SocketError.AccessDenied => ControlSocketAccess.PermissionRefused(SocketPath, RunDirectory),
            _ when !File.Exists(SocketPath) =>
                $"no daemon is running on {RunDirectory} (no control socket): start one with `tandem daemon`",
            SocketError.ConnectionRefused =>
                $"no daemon is answering on {SocketPath} (connection refused): the socket is left over from a daemon that was killed; start one with `tandem daemon`",
            // The peer-credential check closes the connection right after accept: depending on timing
            // the request meets the end of the stream, a reset, or a broken pipe.
            SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted =>
                $"the daemon on {RunDirectory} closed the connection without answering: it accepts only root and its own user",
            _ when e.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse =>
                $"the daemon on {RunDirectory} closed the connection without answering: it accepts only root and its own user",
            _ => $"cannot reach the daemon on {SocketPath}: {e.Message}",
        };
        return new DaemonUnreachableException(message, e);
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
