namespace Tandem.Config;

/// <summary>The edit distance behind every reader's "did you mean" suggestion.</summary>
internal static class EditDistance
{
    /// <summary>The Levenshtein distance between two words.</summary>
    /// <param name="a">One word.</param>
    /// <param name="b">The other.</param>
    /// <param name="maxLengthGap">
    /// When the lengths differ by more, the words are no typo of each other and
    /// <see cref="int.MaxValue"/> is returned at once, which also bounds the cost on huge inputs.
    /// </param>
    /// <returns>The number of single-character insertions, deletions and substitutions.</returns>
    public static int Levenshtein(string a, string b, int maxLengthGap = int.MaxValue)
    {
        if (Math.Abs(a.Length - b.Length) > maxLengthGap)
        {
            return int.MaxValue;
        }
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
