using System.Text;

namespace Tandem.Config.Classic.Drbd;

/// <summary>
/// Splits drbd.conf text into tokens: words, quoted strings (with backslash escapes), <c>;</c>,
/// <c>{</c> and <c>}</c>; <c>#</c> starts a comment to the end of the line. Bad input (control
/// bytes, unterminated strings, over-long tokens) becomes a diagnostic and the tokenizer goes on;
/// it always terminates in one pass over the text.
/// </summary>
public sealed class DrbdTokenizer
{
    /// <summary>The longest word or string accepted; longer ones are cut and reported.</summary>
    public const int MaxTokenLength = 4096;

    private readonly string _text;
    private readonly string _file;
    private readonly DiagnosticBag _diagnostics;
    private int _pos;
    private int _line = 1;
    private int _column = 1;
    private int _badCharReports;

    /// <summary>Creates a tokenizer over one file's text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="file">The file name used in tokens and diagnostics.</param>
    /// <param name="diagnostics">Receives lexical errors.</param>
    public DrbdTokenizer(string text, string file, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(diagnostics);
        _text = text;
        _file = file;
        _diagnostics = diagnostics;
    }

    /// <summary>Tokenizes a whole text; the list always ends with one <see cref="DrbdTokenKind.End"/> token.</summary>
    /// <param name="text">The text.</param>
    /// <param name="file">The file name.</param>
    /// <param name="diagnostics">Receives lexical errors.</param>
    /// <returns>The tokens.</returns>
    public static IReadOnlyList<DrbdToken> Tokenize(string text, string file, DiagnosticBag diagnostics)
    {
        var tokenizer = new DrbdTokenizer(text, file, diagnostics);
        var tokens = new List<DrbdToken>();
        DrbdToken token;
        do
        {
            token = tokenizer.Next();
            tokens.Add(token);
        }
        while (token.Kind != DrbdTokenKind.End);
        return tokens;
    }

    /// <summary>Reads the next token; after the end, keeps returning <see cref="DrbdTokenKind.End"/>.</summary>
    /// <returns>The token.</returns>
    public DrbdToken Next()
    {
        while (true)
        {
            SkipSpaceAndComments();
            if (_pos >= _text.Length)
            {
                return new DrbdToken(DrbdTokenKind.End, "", _file, _line, _column);
            }
            var c = _text[_pos];
            var line = _line;
            var column = _column;
            switch (c)
            {
                case ';':
                    Advance();
                    return new DrbdToken(DrbdTokenKind.Semicolon, ";", _file, line, column);
                case '{':
                    Advance();
                    return new DrbdToken(DrbdTokenKind.OpenBrace, "{", _file, line, column);
                case '}':
                    Advance();
                    return new DrbdToken(DrbdTokenKind.CloseBrace, "}", _file, line, column);
                case '"':
                    return ReadString(line, column);
            }
            if (IsBadChar(c))
            {
                ReportBadChar(c, line, column);
                Advance();
                continue;
            }
            return ReadWord(line, column);
        }
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n' or '\f' or '\v';

    // Control characters (NUL included) are never part of a valid drbd.conf; surrogates that do not
    // pair up cannot be printed in a message either.
    private static bool IsBadChar(char c) =>
        (c < 0x20 && !IsSpace(c)) || c == 0x7F || char.IsSurrogate(c) || c == '\uFFFD';

    private static bool EndsWord(char c) => IsSpace(c) || c is ';' or '{' or '}' or '"' or '#';

    private void Advance()
    {
        if (_text[_pos] == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }
        _pos++;
    }

    private void SkipSpaceAndComments()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (IsSpace(c))
            {
                Advance();
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    Advance();
                }
            }
            else
            {
                return;
            }
        }
    }

    private void ReportBadChar(char c, int line, int column)
    {
        // Binary input would otherwise produce one error per byte; a handful locates the problem.
        if (++_badCharReports > 10)
        {
            return;
        }
        var shown = char.IsSurrogate(c) || c == '\uFFFD' ? "a byte that is not valid UTF-8" : $"control character 0x{(int)c:X2}";
        _diagnostics.Error(DrbdCodes.BadCharacter, _file, line, column,
            $"unexpected {shown}",
            _badCharReports == 10 ? "is this a text file? (further bad characters in this file are not reported)" : "remove it; drbd.conf is plain text");
    }

    private DrbdToken ReadWord(int line, int column)
    {
        var start = _pos;
        while (_pos < _text.Length && !EndsWord(_text[_pos]) && !IsBadChar(_text[_pos]))
        {
            Advance();
        }
        var length = _pos - start;
        if (length > MaxTokenLength)
        {
            _diagnostics.Error(DrbdCodes.TokenTooLong, _file, line, column,
                $"a word of {length} characters is longer than the {MaxTokenLength} allowed",
                "a missing space, ';' or quote may have joined several words");
            length = MaxTokenLength;
        }
        return new DrbdToken(DrbdTokenKind.Word, _text.Substring(start, length), _file, line, column);
    }

    private DrbdToken ReadString(int line, int column)
    {
        Advance(); // opening quote
        var sb = new StringBuilder();
        var tooLong = false;
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                // Ending at the newline keeps the rest of the file parseable and the error local.
                _diagnostics.Error(DrbdCodes.UnterminatedString, _file, line, column,
                    "this string is not closed before the end of the line",
                    "add the closing '\"'; a string cannot span lines");
                break;
            }
            var c = _text[_pos];
            if (c == '"')
            {
                Advance();
                break;
            }
            if (c == '\\' && _pos + 1 < _text.Length && _text[_pos + 1] != '\n')
            {
                Advance();
                c = _text[_pos] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    var other => other,
                };
            }
            if (IsBadChar(c))
            {
                ReportBadChar(c, _line, _column);
                Advance();
                continue;
            }
            Advance();
            if (sb.Length < MaxTokenLength)
            {
                sb.Append(c);
            }
            else
            {
                tooLong = true;
            }
        }
        if (tooLong)
        {
            _diagnostics.Error(DrbdCodes.TokenTooLong, _file, line, column,
                $"a string longer than the {MaxTokenLength} characters allowed",
                "shorten it, or check for a missing closing quote");
        }
        return new DrbdToken(DrbdTokenKind.String, sb.ToString(), _file, line, column);
    }
}
