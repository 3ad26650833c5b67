using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Tandem.Daemon.Control;

namespace Tandem.Cli.Output;

/// <summary>
/// <c>tandem status --watch</c>, in the manner of crm_mon: redraws the status every time the daemon
/// publishes an event (coalesced, so a burst draws once) and at least every interval, and keeps
/// going through a daemon restart, saying that it is waiting for it.
/// </summary>
internal sealed class StatusWatcher
{
    /// <summary>JSON Lines: the CLI's documents, with its naming policy, each on one line.</summary>
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<UnreachableFrame> s_lines =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<UnreachableFrame>)new JsonSerializerOptions(CliJsonContext.Default.Options) { WriteIndented = false }
            .GetTypeInfo(typeof(UnreachableFrame));

    /// <summary>ANSI: cursor home, clear screen. Only written to a terminal.</summary>
    private const string ClearScreen = "\u001b[H\u001b[2J";

    // A burst of events (a failover publishes a dozen) is drawn once, this long after its first event.
    private static readonly TimeSpan s_coalesce = TimeSpan.FromMilliseconds(100);

    // How often a watch without a daemon looks for it again.
    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(1);

    private readonly string _runDirectory;
    private readonly TextWriter _output;
    private readonly TimeProvider _time;

    /// <summary>Creates a watcher.</summary>
    /// <param name="runDirectory">The daemon's run directory.</param>
    /// <param name="output">Where frames go.</param>
    /// <param name="time">The clock.</param>
    public StatusWatcher(string runDirectory, TextWriter output, TimeProvider time)
    {
        _runDirectory = runDirectory;
        _output = output;
        _time = time;
    }

    /// <summary>Redraw at least this often, also when nothing happens (uptimes, sync progress).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Clear the screen before each frame (a terminal); otherwise frames are separated by a blank line.</summary>
    public bool ClearBetweenFrames { get; init; }

    /// <summary>Each frame is the daemon's JSON document on one line (JSON Lines) instead of text.</summary>
    public bool Json { get; init; }

    /// <summary>Stop after this many frames (scripts and tests); null runs until cancelled.</summary>
    public int? MaxFrames { get; init; }

    /// <summary>Draws frames until cancelled (Ctrl-C) or <see cref="MaxFrames"/> were drawn.</summary>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>How many frames were drawn.</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var frames = 0;
        var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? follower = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested && (MaxFrames is null || frames < MaxFrames))
            {
                using var client = new ControlClient(_runDirectory);
                string? json = null;
                string? unreachable = null;
                try
                {
                    json = await client.GetStatusJsonAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DaemonUnreachableException e)
                {
                    unreachable = e.Message;
                }
                catch (Exception e) when (e is ControlApiException or JsonException or HttpRequestException)
                {
                    unreachable = $"the daemon answered with an error: {e.Message}";
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                Draw(json, unreachable);
                frames++;
                if (MaxFrames is not null && frames >= MaxFrames)
                {
                    break;
                }

                // Follow the event stream from what this frame showed; a follower that ended (the
                // daemon stopped) is started again once the daemon answers.
                if (json is not null && (follower is null || follower.IsCompleted))
                {
                    var since = StatusDocument.Parse(json).LastEvent;
                    follower = FollowAsync(since, wake.Writer, stop.Token);
                }
                // Without a daemon there are no events to wait for: look again soon.
                var wait = json is null && Interval > s_retry ? s_retry : Interval;
                await WaitForChangeAsync(wake.Reader, wait, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C: the normal way out of a watch.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            if (follower is not null)
            {
                await follower.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        return frames;
    }

    private void Draw(string? json, string? unreachable)
    {
        var now = _time.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        if (Json)
        {
            var line = json is not null
                ? StatusDocument.Parse(json).ToJson()
                : JsonSerializer.Serialize(new UnreachableFrame(unreachable ?? "the daemon does not answer", now), s_lines);
            _output.WriteLine(line);
            _output.Flush();
            return;
        }
        var frame = new System.Text.StringBuilder();
        frame.Append(ClearBetweenFrames ? ClearScreen : "\n");
        frame.Append(CultureInfo.InvariantCulture,
            $"Last updated: {now}   (redrawn on every event and every {Interval.TotalSeconds:0.#}s; Ctrl-C quits)\n");
        if (json is not null)
        {
            frame.Append(StatusFormatter.Format(StatusDocument.Parse(json)));
        }
        else
        {
            frame.Append(CultureInfo.InvariantCulture, $"Waiting for the daemon: {unreachable}\n");
        }
        _output.Write(frame.ToString());
        _output.Flush();
    }

    private async Task WaitForChangeAsync(ChannelReader<bool> wake, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(wait, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await wake.ReadAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return; // the interval passed without an event
        }
        // Let the rest of a burst arrive, then draw it once.
        await Task.Delay(s_coalesce, _time, cancellationToken).ConfigureAwait(false);
        wake.TryRead(out _);
    }

    private async Task FollowAsync(long since, ChannelWriter<bool> wake, CancellationToken cancellationToken)
    {
        using var client = new ControlClient(_runDirectory) { RequestTimeout = Timeout.InfiniteTimeSpan };
        try
        {
            await foreach (var _ in client.FollowEventsAsync(since, cancellationToken).ConfigureAwait(false))
            {
                wake.TryWrite(true);
            }
        }
        catch (Exception e) when (e is DaemonUnreachableException or ControlApiException or HttpRequestException or IOException)
        {
            // The next frame says the daemon is unreachable; the follow starts again when it is back.
        }
        // The stream ended (the daemon stopped or was killed): draw now, so the watcher shows it.
        wake.TryWrite(true);
    }
}
