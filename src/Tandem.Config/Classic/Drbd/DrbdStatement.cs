namespace Tandem.Config.Classic.Drbd;

/// <summary>
/// One statement of drbd.conf: a keyword, its values, and either <c>;</c> or a section body.
/// <c>include</c> and <c>skip</c> are resolved by the parser and never appear here.
/// </summary>
/// <param name="Keyword">The first word.</param>
/// <param name="Arguments">The values after the keyword.</param>
/// <param name="Body">The statements inside <c>{ }</c>, or null for a statement ended by <c>;</c>.</param>
public sealed record DrbdStatement(DrbdToken Keyword, IReadOnlyList<DrbdToken> Arguments, IReadOnlyList<DrbdStatement>? Body)
{
    /// <summary>The keyword's text.</summary>
    public string Name => Keyword.Text;

    /// <summary>The statement as written, for messages: the keyword and its values.</summary>
    /// <param name="count">How many values to show (all when larger than the number of values).</param>
    /// <returns>For example <c>device /dev/drbd0</c>.</returns>
    public string Show(int count = int.MaxValue)
    {
        var parts = new List<string> { Keyword.Display };
        parts.AddRange(Arguments.Take(Math.Max(0, count)).Select(a => a.Display));
        return string.Join(' ', parts.Select(Shorten));
    }

    // A message must stay readable even when a token is 4096 characters long.
    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
