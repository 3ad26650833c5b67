namespace Tandem.Config.Classic.Drbd;

/// <summary>The <c>*</c> and <c>?</c> wildcards of <c>include</c>, matched against one file name.</summary>
public static class DrbdGlob
{
    /// <summary>True when the pattern has a wildcard.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <returns>Whether it contains <c>*</c> or <c>?</c>.</returns>
    public static bool HasWildcard(string pattern) =>
        pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>
    /// Matches a name against a pattern: <c>*</c> is any run of characters, <c>?</c> one character.
    /// As in glob(3), a leading dot must be matched literally. Linear backtracking, so no input can
    /// make it slow.
    /// </summary>
    /// <param name="pattern">The pattern.</param>
    /// <param name="name">The file name.</param>
    /// <returns>Whether the name matches.</returns>
    public static bool IsMatch(string pattern, string name)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith('.') && !pattern.StartsWith('.'))
        {
            return false;
        }
        int p = 0, n = 0, starP = -1, starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starN = n;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n]))
            {
                p++;
                n++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                n = ++starN;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }
}
