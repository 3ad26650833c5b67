using CsCheck;
using Tandem.Membership.Wire;
using Xunit;

namespace Tandem.Membership.Tests.Wire;

public sealed class ReplayWindowTests
{
    /// <summary>An independent model: every accepted (generation, sequence) kept in a set.</summary>
    private sealed class Model
    {
        private ulong _gen;
        private ulong _highest;
        private readonly HashSet<ulong> _seen = [];

        public bool Accept(ulong gen, ulong seq)
        {
            if (seq == 0 || gen < _gen)
            {
                return false;
            }
            if (gen > _gen)
            {
                _gen = gen;
                _seen.Clear();
                _highest = 0;
            }
            if (_seen.Contains(seq) || (_highest >= ReplayWindow.WindowSize && seq <= _highest - ReplayWindow.WindowSize))
            {
                return false;
            }
            _seen.Add(seq);
            _highest = Math.Max(_highest, seq);
            return true;
        }
    }

    [Fact]
    public void Agrees_with_a_set_model_on_reordered_replayed_and_regenerated_streams()
    {
        var step = Gen.Select(Gen.Int[0, 20], Gen.Int[-80, 80]);
        step.Array[1, 300].Sample(steps =>
        {
            var window = new ReplayWindow();
            var model = new Model();
            ulong gen = 1, seq = 100;
            foreach (var (g, delta) in steps)
            {
                if (g == 0) { gen++; }           // a restart
                if (g == 1 && gen > 1) { gen--; }  // an old generation replayed
                seq = (ulong)Math.Max(0, (long)seq + delta);
                var expected = model.Accept(gen, seq);
                Assert.Equal(expected, window.Check(gen, seq) == RejectReason.None);
            }
        }, iter: 500);
    }

    [Fact]
    public void Names_the_reason()
    {
        var w = new ReplayWindow();
        Assert.Equal(RejectReason.None, w.Check(5, 100));
        Assert.Equal(RejectReason.Replayed, w.Check(5, 100));
        Assert.Equal(RejectReason.None, w.Check(5, 99));
        Assert.Equal(RejectReason.Stale, w.Check(5, 100 - ReplayWindow.WindowSize));
        Assert.Equal(RejectReason.OlderGeneration, w.Check(4, 1000));
        Assert.Equal(RejectReason.None, w.Check(6, 1));
        Assert.Equal(RejectReason.OlderGeneration, w.Check(5, 101));
    }
}
