namespace Tandem.Config.Classic;

/// <summary>
/// Splits an ha.cf line as Heartbeat 3.0.6 does: the directive ends at the first blank; the values
/// of an option directive are separated by blanks or commas (<c>node a,b</c> is two nodes), those
/// of a whole-line directive (<c>ucast</c>, <c>stonith_host</c>, <c>respawn</c>, ...) by blanks only.
/// </summary>
internal static class HaCfTokens
{
    /// <summary>The words of a line without its comment.</summary>
    /// <param name="line">The line, comment removed.</param>
    /// <param name="lineNumber">Its 1-based number.</param>
    /// <returns>The directive, then its values; empty for a blank line.</returns>
    public static List<HbToken> Split(string line, int lineNumber)
    {
        var words = HbText.Tokenize(line, lineNumber);
        if (words.Count < 2 || !HaCfDirectives.SplitsAtCommas(words[0].Text) || !line.Contains(',', StringComparison.Ordinal))
        {
            return words;
        }
        var tokens = new List<HbToken>(words.Count + 2) { words[0] };
        foreach (var word in words.Skip(1))
        {
            var start = 0;
            for (var i = 0; i <= word.Text.Length; i++)
            {
                if (i < word.Text.Length && word.Text[i] != ',')
                {
                    continue;
                }
                if (i > start)
                {
                    tokens.Add(new HbToken(word.Text[start..i], lineNumber, word.Column + start));
                }
                start = i + 1;
            }
        }
        return tokens;
    }
}
