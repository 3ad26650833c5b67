namespace Tandem.Cli;

/// <summary>
/// The nearest command to a mistyped one (<c>tandem stauts</c> → <c>status</c>), by edit distance
/// with transpositions counted once, as git's "did you mean" does.
/// </summary>
internal static class CommandSuggestions
{
    /// <summary>The candidate nearest to the token, or null when none is near enough to be a typo of it.</summary>
    /// <param name="token">What was typed.</param>
    /// <param name="candidates">The commands (and aliases) that could have been meant.</param>
    /// <returns>The suggestion.</returns>
    public static string? Nearest(string token, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            // A prefix is what a hurried user types ("stat", "vol"); otherwise at most two edits, and
            // fewer than half of the token, so that "x" does not suggest "fence".
            var distance = candidate.StartsWith(token, StringComparison.OrdinalIgnoreCase) && token.Length >= 3
                ? 0
                : Distance(token.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance && distance <= 2 && distance * 2 < Math.Max(token.Length, 2))
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
