using System.Globalization;
using Tandem.Nbd.Client;
using Tandem.Nbd.Protocol;

namespace Tandem.Cli.Demo;

/// <summary>
/// The demo's service: writes numbered records to a volume through its NBD export, each with FUA,
/// and appends the number of every acknowledged record to an acknowledgement file — the client's
/// memory of what the storage promised to keep. Started again on another node, it continues after
/// the last acknowledged record. The checker later reads every acknowledged record back.
/// </summary>
internal sealed class RecordWriter
{
    private readonly string _socket;
    private readonly string _export;
    private readonly string _acks;
    private readonly TimeProvider _time;

    public RecordWriter(string socket, string export, string acks, TimeProvider time)
    {
        _socket = socket;
        _export = export;
        _acks = acks;
        _time = time;
    }

    /// <summary>Time between two records.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Called with each record number once its acknowledgement is recorded.</summary>
    public Action<long>? Acknowledged { get; init; }

    /// <summary>Writes until cancelled or the volume refuses a write.</summary>
    /// <param name="error">Where a refused write is reported.</param>
    /// <param name="cancellationToken">Stops the writer.</param>
    /// <returns>0 when stopped, 1 when the volume failed a write.</returns>
    public async Task<int> RunAsync(TextWriter error, CancellationToken cancellationToken)
    {
        var next = ReadAcknowledged(_acks).Select(n => n + 1).DefaultIfEmpty(0).Max();
        await using var client = await NbdClient.ConnectAsync(_socket, _export, cancellationToken).ConfigureAwait(false);
        if (client.ReadOnly)
        {
            await error.WriteLineAsync($"demo writer: export '{_export}' is read-only here (this node is not the volume's primary)").ConfigureAwait(false);
            return 1;
        }
        var record = new byte[DemoRecord.Size];
        await using var acks = new FileStream(_acks, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            do
            {
                DemoRecord.Format(record, next, _time.GetUtcNow().ToUnixTimeMilliseconds());
                var result = await client.WriteAsync(DemoRecord.Offset(next, client.Size), record, forceUnitAccess: true, cancellationToken).ConfigureAwait(false);
                if (result != NbdError.None)
                {
                    await error.WriteLineAsync($"demo writer: record {next} was refused: {result}").ConfigureAwait(false);
                    return 1;
                }
                // The acknowledgement reaches the file (the kernel's page cache) before the next
                // record is written: a killed writer never forgets a record it was promised.
                await acks.WriteAsync(System.Text.Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture) + "\n"), cancellationToken).ConfigureAwait(false);
                await acks.FlushAsync(cancellationToken).ConfigureAwait(false);
                Acknowledged?.Invoke(next);
                next++;
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped by its resource agent: the normal end.
        }
        return 0;
    }

    /// <summary>The record numbers an acknowledgement file holds (a torn last line is ignored).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The numbers, in file order.</returns>
    public static IReadOnlyList<long> ReadAcknowledged(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        var numbers = new List<long>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        var complete = text.EndsWith('\n') ? text : text[..(text.LastIndexOf('\n') + 1)];
        foreach (var line in complete.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                numbers.Add(n);
            }
        }
        return numbers;
    }
}
