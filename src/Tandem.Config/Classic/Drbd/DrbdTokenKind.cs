namespace Tandem.Config.Classic.Drbd;

/// <summary>The kinds of token in drbd.conf.</summary>
public enum DrbdTokenKind
{
    /// <summary>A bare word: a keyword, a name, a number, a path, an address.</summary>
    Word,
    /// <summary>A double-quoted string; <see cref="DrbdToken.Text"/> holds it unescaped.</summary>
    String,
    /// <summary><c>;</c>, the end of a statement.</summary>
    Semicolon,
    /// <summary><c>{</c>, the start of a section body.</summary>
    OpenBrace,
    /// <summary><c>}</c>, the end of a section body.</summary>
    CloseBrace,
    /// <summary>The end of the input.</summary>
    End,
}
