namespace Tandem.Config.Classic.Drbd;

/// <summary>One token of drbd.conf, with where it starts.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Text">The word, the unescaped string, or the punctuation itself.</param>
/// <param name="File">The file it comes from.</param>
/// <param name="Line">The 1-based line of its first character.</param>
/// <param name="Column">The 1-based column of its first character.</param>
public sealed record DrbdToken(DrbdTokenKind Kind, string Text, string File, int Line, int Column)
{
    /// <summary>True for words and strings, the tokens that carry values.</summary>
    public bool IsValue => Kind is DrbdTokenKind.Word or DrbdTokenKind.String;

    /// <summary>How the token reads in a message: quoted strings keep their quotes.</summary>
    public string Display => Kind switch
    {
        DrbdTokenKind.String => "\"" + Short(Text) + "\"",
        DrbdTokenKind.End => "end of file",
        _ => Short(Text),
    };

    private static string Short(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
