using Tandem.Nbd.Client;
using Tandem.Nbd.Protocol;
using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Tandem.IntegrationTests.Replication;

/// <summary>
/// Writes numbered 4 KiB records through NBD, each with FUA, one at a time per stream, and logs every
/// acknowledgement: the ground truth of what the Primary promised was durable. Stops at the first
/// failure (the Primary died) or when told.
/// </summary>
internal sealed class RecordWriter
{
    public const int RecordSize = 4096;

    private readonly ConcurrentQueue<(int Stream, int Index)> _acked = new();
    private readonly TaskCompletionSource _enough = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ackCount;

    /// <summary>The records the server acknowledged.</summary>
    public IReadOnlyCollection<(int Stream, int Index)> Acked => _acked;

    /// <summary>Creates a writer.</summary>
    /// <param name="milestone">The number of acknowledgements at which <see cref="Milestone"/> completes.</param>
    public RecordWriter(int milestone) => _target = milestone;

    private readonly int _target;

    /// <summary>The NBD export name to write to.</summary>
    public string Export { get; init; } = "r0";

    /// <summary>Completes once the milestone number of records was acknowledged.</summary>
    public Task Milestone => _enough.Task;

    /// <summary>The offset of record <paramref name="index"/> of stream <paramref name="stream"/>: each stream owns a region of <paramref name="perStream"/> records.</summary>
    public static long OffsetOf(int stream, int index, int perStream) => ((long)stream * perStream + index) * RecordSize;

    /// <summary>The content of a record: its stream and number, then a pattern derived from them.</summary>
    public static byte[] Content(int stream, int index)
    {
        var record = new byte[RecordSize];
        BinaryPrimitives.WriteInt32BigEndian(record, stream);
        BinaryPrimitives.WriteInt32BigEndian(record.AsSpan(4), index);
        for (var i = 8; i < record.Length; i++)
        {
            record[i] = (byte)(stream * 31 + index * 7 + i);
        }
        return record;
    }

    /// <summary>Runs <paramref name="streams"/> connections, each writing records 0..perStream-1 in order; returns when all stopped.</summary>
    public async Task RunAsync(string socket, int streams, int perStream, CancellationToken cancellationToken)
    {
        var tasks = Enumerable.Range(0, streams).Select(s => Task.Run(() => StreamAsync(socket, s, perStream, cancellationToken), cancellationToken));
        await Task.WhenAll(tasks);
    }

    private async Task StreamAsync(string socket, int stream, int perStream, CancellationToken cancellationToken)
    {
        NbdClient client;
        try
        {
            client = await NbdClient.ConnectAsync(socket, Export, cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return;
        }
        await using (client)
        {
            for (var i = 0; i < perStream && !cancellationToken.IsCancellationRequested; i++)
            {
                NbdError error;
                try
                {
                    error = await client.WriteAsync((ulong)OffsetOf(stream, i, perStream), Content(stream, i), forceUnitAccess: true, cancellationToken);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or EndOfStreamException)
                {
                    return; // the server died mid-write: this record was not acknowledged
                }
                if (error != NbdError.None)
                {
                    return;
                }
                _acked.Enqueue((stream, i));
                if (Interlocked.Increment(ref _ackCount) >= _target)
                {
                    _enough.TrySetResult();
                }
            }
        }
    }
}
