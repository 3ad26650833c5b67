using Tandem.Nbd.Client;
using Tandem.Nbd.Protocol;

namespace Tandem.Cli.Demo;

/// <summary>Reads back, through a volume's NBD export, every record the writer saw acknowledged.</summary>
internal static class RecordChecker
{
    /// <summary>What a check found.</summary>
    /// <param name="Acknowledged">Records in the acknowledgement file (the most recent volume-full of them).</param>
    /// <param name="Problems">Each record that is not intact where it belongs, with what is wrong.</param>
    public sealed record Result(int Acknowledged, IReadOnlyList<(long Number, string Problem)> Problems)
    {
        /// <summary>Whether every acknowledged record is there.</summary>
        public bool AllPresent => Problems.Count == 0;
    }

    /// <summary>Checks every acknowledged record.</summary>
    /// <param name="socket">The export's Unix socket.</param>
    /// <param name="export">The export name.</param>
    /// <param name="acks">The writer's acknowledgement file.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>What was found.</returns>
    public static async Task<Result> CheckAsync(string socket, string export, string acks, CancellationToken cancellationToken)
    {
        var numbers = RecordWriter.ReadAcknowledged(acks);
        await using var client = await NbdClient.ConnectAsync(socket, export, cancellationToken).ConfigureAwait(false);
        // Records wrap around the volume: only the newest volume-full can still be there.
        var capacity = (long)(client.Size / DemoRecord.Size);
        var newest = numbers.Count == 0 ? -1 : numbers.Max();
        var expected = numbers.Where(n => n > newest - capacity).Distinct().Order().ToList();
        var problems = new List<(long, string)>();
        var block = new byte[DemoRecord.Size];
        foreach (var number in expected)
        {
            var error = await client.ReadAsync(DemoRecord.Offset(number, client.Size), block, cancellationToken).ConfigureAwait(false);
            var problem = error != NbdError.None ? $"unreadable ({error})" : DemoRecord.Check(block, number);
            if (problem is not null)
            {
                problems.Add((number, problem));
            }
        }
        return new Result(expected.Count, problems);
    }
}
