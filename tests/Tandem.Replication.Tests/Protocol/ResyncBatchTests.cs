using System.Buffers.Binary;
using CsCheck;
using Tandem.Replication.Protocol;
using Xunit;

namespace Tandem.Replication.Tests.Protocol;

public sealed class ResyncBatchTests
{
    private const long Size = 64L << 20;

    private static byte[] Build(ulong id, (long Offset, int Length)[] runs, int? dataLength = null)
    {
        var data = dataLength ?? runs.Sum(r => r.Length);
        var payload = new byte[ResyncBatch.HeaderSize(runs.Length) + data];
        ResyncBatch.WriteHeader(payload, id, runs);
        return payload;
    }

    private static (bool Ok, ulong Id, (long, int)[] Runs, string Error) Parse(byte[] payload, long size = Size)
    {
        var runs = new (long, int)[ResyncBatch.MaxRuns];
        var ok = ResyncBatch.TryParse(payload, size, runs, out var id, out var count, out var error);
        return (ok, id, runs[..count], error);
    }

    [Fact]
    public void Ascending_runs_round_trip_with_their_id()
    {
        (long, int)[] runs = [(0, 4096), (8192, 12288), (1 << 20, 4096)];
        var (ok, id, parsed, error) = Parse(Build(77, runs));
        Assert.True(ok, error);
        Assert.Equal(77UL, id);
        Assert.Equal(runs, parsed);
    }

    [Fact]
    public void Any_set_of_disjoint_ascending_runs_round_trips() =>
        Gen.Int[1, 16].Array[1, 64].Sample(lengths =>
        {
            var runs = new (long, int)[lengths.Length];
            long at = 0;
            for (var i = 0; i < lengths.Length; i++)
            {
                runs[i] = (at, lengths[i] * 4096);
                at += (lengths[i] + 1) * 4096L; // one clean block between runs
            }
            var (ok, _, parsed, error) = Parse(Build(1, runs));
            return ok && parsed.SequenceEqual(runs) && error == "";
        });

    [Theory]
    [InlineData("none")]
    [InlineData("too many")]
    [InlineData("reserved")]
    [InlineData("overlap")]
    [InlineData("descending")]
    [InlineData("empty run")]
    [InlineData("beyond size")]
    [InlineData("data short")]
    [InlineData("data long")]
    [InlineData("header cut")]
    public void Malformed_batches_are_refused_with_the_reason(string fault)
    {
        var payload = fault switch
        {
            "none" => Build(1, []),
            "too many" => Build(1, [.. Enumerable.Range(0, ResyncBatch.MaxRuns + 1).Select(i => (i * 8192L, 4096))]),
            "reserved" => Reserved(Build(1, [(0, 4096)])),
            "overlap" => Build(1, [(0, 8192), (4096, 4096)]),
            "descending" => Build(1, [(8192, 4096), (0, 4096)]),
            "empty run" => Build(1, [(0, 0)]),
            "beyond size" => Build(1, [(Size - 4096, 8192)]),
            "data short" => Build(1, [(0, 8192)], dataLength: 4096),
            "data long" => Build(1, [(0, 4096)], dataLength: 8192),
            "header cut" => Build(1, [(0, 4096), (8192, 4096)])[..(ResyncBatch.HeaderSize(2) - 1)],
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };
        var (ok, _, _, error) = Parse(payload);
        Assert.False(ok);
        Assert.Contains("resync batch", error);

        static byte[] Reserved(byte[] p)
        {
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), 1);
            return p;
        }
    }

    [Fact]
    public void A_full_batch_fits_the_frame_limit()
    {
        Assert.True(FrameHeader.MaxLength(FrameType.ResyncBatch) >= ResyncBatch.HeaderSize(ResyncBatch.MaxRuns) + ResyncBatch.MaxData);
        var (ok, _, parsed, error) = Parse(Build(3, [(0, ResyncBatch.MaxData)]));
        Assert.True(ok, error);
        Assert.Single(parsed);
    }
}
