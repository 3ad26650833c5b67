using CsCheck;
using Tandem.Replication.Uuids;
using Xunit;

namespace Tandem.Replication.Tests.Uuids;

public sealed class UuidComparerTests
{
    private const ulong Jc = GenerationUuids.JustCreated;
    private const ulong A = 0xA000, B = 0xB000, C = 0xC000, D = 0xD000, E = 0xE000;
    private const ulong Off = GenerationUuids.NewBitmapOffset;

    // The table of drbd.md §3.3, one row per rule: self, peer (current, bitmap, h0, h1), flags, expected.
    public static TheoryData<string, GenerationUuids, GenerationUuids, bool, bool, SyncDecision, int> Table() => new()
    {
        { "both just created", new(Jc, 0, 0, 0), new(Jc, 0, 0, 0), false, false, SyncDecision.NoSync, 10 },
        { "self just created", new(Jc, 0, 0, 0), new(A, 0, 0, 0), false, false, SyncDecision.FullTarget, 20 },
        { "self empty", new(0, 0, 0, 0), new(A, 0, 0, 0), false, false, SyncDecision.FullTarget, 20 },
        { "peer just created", new(A, 0, 0, 0), new(Jc, 0, 0, 0), false, false, SyncDecision.FullSource, 30 },
        { "source missed finish, repairable", new(A, B, 0, 0), new(A, 0, B, 0), false, false, SyncDecision.BitmapSource, 34 },
        { "source missed finish", new(A, B, 0, 0), new(A, 0, 0, 0), false, false, SyncDecision.BitmapSource, 36 },
        { "target missed finish, repairable", new(A, 0, B, 0), new(A, B, 0, 0), false, false, SyncDecision.BitmapTarget, 35 },
        { "target missed finish", new(A, 0, 0, 0), new(A, B, 0, 0), false, false, SyncDecision.BitmapTarget, 37 },
        { "reconnected, in sync", new(A, 0, B, 0), new(A, 0, B, 0), false, false, SyncDecision.NoSync, 40 },
        { "role bit is masked", new(A | 1, 0, 0, 0), new(A, 0, 0, 0), false, false, SyncDecision.NoSync, 40 },
        { "self crashed primary", new(A, 0, 0, 0), new(A, 0, 0, 0), true, false, SyncDecision.BitmapSource, 40 },
        { "peer crashed primary", new(A, 0, 0, 0), new(A, 0, 0, 0), false, true, SyncDecision.BitmapTarget, 40 },
        { "peer diverged from my generation", new(A, 0, 0, 0), new(B, A, 0, 0), false, false, SyncDecision.BitmapTarget, 50 },
        { "peer lost sync uuid", new(A, 0, 0, 0), new(C, A + Off, A, 0), false, false, SyncDecision.BitmapTarget, 51 },
        { "self in peer history", new(A, 0, 0, 0), new(B, C, D, A), false, false, SyncDecision.FullTarget, 60 },
        { "I diverged from peer's generation", new(B, A, 0, 0), new(A, 0, 0, 0), false, false, SyncDecision.BitmapSource, 70 },
        { "self lost sync uuid", new(C, A + Off, A, 0), new(A, 0, 0, 0), false, false, SyncDecision.BitmapSource, 71 },
        { "peer in self history", new(B, C, A, 0), new(A, 0, 0, 0), false, false, SyncDecision.FullSource, 80 },
        { "both diverged from one parent", new(B, A, 0, 0), new(C, A, 0, 0), false, false, SyncDecision.SplitBrainRecoverable, 90 },
        { "only history shared", new(B, C, D, 0), new(E, A, D, 0), false, false, SyncDecision.SplitBrainDisconnect, 100 },
        { "unrelated", new(B, C, 0, 0), new(D, E, 0, 0), false, false, SyncDecision.UnrelatedData, -1000 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_rule_of_the_spec_decides_its_row(string row, GenerationUuids self, GenerationUuids peer,
        bool selfCrashed, bool peerCrashed, SyncDecision expected, int rule)
    {
        var r = UuidComparer.Compare(new UuidSide(self, selfCrashed), new UuidSide(peer, peerCrashed), resolveConflicts: false);
        Assert.True(expected == r.Decision && rule == r.Rule, $"{row}: expected {expected} by rule {rule}, got {r}");
        Assert.False(string.IsNullOrEmpty(r.RuleName));
    }

    [Fact]
    public void Crashed_primary_that_is_primary_again_becomes_source()
    {
        var u = new GenerationUuids(A, 0, 0, 0);
        var r = UuidComparer.Compare(new UuidSide(u, CrashedPrimary: true), new UuidSide(u, CrashedPrimary: true, IsPrimary: true), false);
        Assert.Equal((SyncDecision.BitmapTarget, 41), (r.Decision, r.Rule));
    }

    [Fact]
    public void Comparing_from_the_other_side_gives_the_mirrored_decision()
    {
        // Realistic pairs: both sides start in sync (or just created), then each independently
        // starts 0..3 new generations while disconnected (a Primary writing alone).
        var side = Gen.Select(Gen.Int[0, 3], Gen.Bool, Gen.Bool, Gen.Long);
        Gen.Select(side, side, Gen.Bool, Gen.Bool).Sample((s1, s2, fresh, rc) =>
        {
            var start = fresh ? GenerationUuids.Created : new GenerationUuids(A, 0, B, 0);
            var self = Evolve(start, s1.Item1, s1.Item4, 0x100);
            var peer = Evolve(start, s2.Item1, s2.Item4, 0x200);
            var a = new UuidSide(self, s1.Item2, s1.Item3);
            var b = new UuidSide(peer, s2.Item2, s2.Item3);
            var here = UuidComparer.Compare(a, b, rc);
            var there = UuidComparer.Compare(b, a, !rc);
            Assert.True(Mirror(here.Decision) == there.Decision, $"{a} vs {b}: {here} but the peer sees {there}");
            if (s1.Item1 > 0 && s2.Item1 > 0 && !fresh)
            {
                Assert.True(here.Decision is SyncDecision.SplitBrainRecoverable or SyncDecision.SplitBrainDisconnect, $"both wrote alone: {here}");
            }
        }, iter: 5000);
    }

    private static GenerationUuids Evolve(GenerationUuids u, int generations, long seed, ulong salt)
    {
        for (var i = 0; i < generations; i++)
        {
            u = u.Current == Jc ? u with { Current = ((ulong)seed << 12) | salt | (ulong)i << 4 } : u.NewCurrent(((ulong)seed << 12) | salt | (ulong)i << 4);
        }
        return u;
    }

    private static SyncDecision Mirror(SyncDecision d) => d switch
    {
        SyncDecision.BitmapSource => SyncDecision.BitmapTarget,
        SyncDecision.BitmapTarget => SyncDecision.BitmapSource,
        SyncDecision.FullSource => SyncDecision.FullTarget,
        SyncDecision.FullTarget => SyncDecision.FullSource,
        _ => d,
    };
}
