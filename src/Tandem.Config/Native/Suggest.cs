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
            var d = Distance(w, Normalize(c));
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

    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 10)
        {
            return int.MaxValue; // not a typo; also keeps the cost bounded on huge keys
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
