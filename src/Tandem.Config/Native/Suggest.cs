namespace Tandem.Config.Native;

/// <summary>Did-you-mean suggestions for misspelt keys and values.</summary>
internal static class Suggest
{
    /// <summary>The candidate closest to <paramref name="word"/>, when it is close enough to be a likely typo.</summary>
    /// <param name="word">What was written.</param>
    /// <param name="candidates">What is allowed.</param>
    /// <returns>The suggestion, or null.</returns>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        // Compare case-insensitively with '-' folded to '_', so that "after-sb-0pri" (drbd.conf
        // spelling) or "Keepalive" finds its native key.
        var w = Normalize(word);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = EditDistance.Levenshtein(w, Normalize(c), maxLengthGap: 10);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }
        var limit = Math.Max(2, w.Length / 3);
        return best is not null && bestDistance <= limit ? best : null;
    }

    private static string Normalize(string s) =>
        s.Length > 200 ? s[..200].ToLowerInvariant().Replace('-', '_') : s.ToLowerInvariant().Replace('-', '_');

}
