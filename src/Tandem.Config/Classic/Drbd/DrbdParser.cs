namespace Tandem.Config.Classic.Drbd;

/// <summary>
/// Turns drbd.conf tokens into statements, resolving <c>include</c> (globs relative to the
/// including file, sorted, at most 16 deep, no cycles) and dropping <c>skip</c> sections. Every
/// malformed input becomes a diagnostic; recursion is bounded by <see cref="MaxNesting"/> and
/// <see cref="MaxIncludeDepth"/>, so no input can exhaust the stack.
/// </summary>
public sealed class DrbdParser
{
    /// <summary>The deepest section nesting accepted (real files need 4: resource, on, volume, disk).</summary>
    public const int MaxNesting = 16;

    /// <summary>The deepest include chain accepted, as drbdadm.</summary>
    public const int MaxIncludeDepth = 16;

    /// <summary>The most files one configuration may include in total (globs that include each other multiply).</summary>
    public const int MaxIncludedFiles = 1024;

    /// <summary>The most values one statement may have (real statements have at most 4).</summary>
    public const int MaxValues = 64;

    private readonly DrbdTokenizer _tokenizer;
    private readonly string _file;
    private readonly Context _context;
    private readonly int _includeDepth;
    private DrbdToken? _peeked;
    private int _emptyStatements;

    private DrbdParser(string text, string file, Context context, int includeDepth)
    {
        _tokenizer = new DrbdTokenizer(text, file, context.Diagnostics);
        _file = file;
        _context = context;
        _includeDepth = includeDepth;
    }

    /// <summary>Parses one file's text into its statements, with includes spliced in place.</summary>
    /// <param name="text">The text.</param>
    /// <param name="fileName">The file name (includes are relative to its directory).</param>
    /// <param name="diagnostics">Receives every finding.</param>
    /// <param name="readInclude">Reads an included file by path; null when it does not exist. Null reads nothing.</param>
    /// <param name="listDirectory">Lists the file names of a directory for include globs; null when it does not exist. Null expands no glob.</param>
    /// <returns>The top-level statements.</returns>
    public static IReadOnlyList<DrbdStatement> Parse(
        string text,
        string fileName,
        DiagnosticBag diagnostics,
        Func<string, string?>? readInclude,
        Func<string, IEnumerable<string>?>? listDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var context = new Context(diagnostics, readInclude, listDirectory);
        context.Stack.Add(NormalizePath(fileName));
        var parser = new DrbdParser(text, fileName, context, 0);
        return parser.ParseFile(0);
    }

    private DrbdToken Peek() => _peeked ??= _tokenizer.Next();

    private DrbdToken Take()
    {
        var token = Peek();
        _peeked = null;
        return token;
    }

    private List<DrbdStatement> ParseFile(int depth)
    {
        var statements = new List<DrbdStatement>();
        ParseStatements(statements, depth, topOfFile: true);
        return statements;
    }

    // Parses statements until '}' (left for the caller) or the end of the file. Recursion only
    // through section bodies, which stop at MaxNesting.
    private void ParseStatements(List<DrbdStatement> into, int depth, bool topOfFile)
    {
        while (true)
        {
            var token = Peek();
            switch (token.Kind)
            {
                case DrbdTokenKind.End:
                    return;
                case DrbdTokenKind.CloseBrace:
                    if (!topOfFile)
                    {
                        return;
                    }
                    Take();
                    Error(DrbdCodes.UnbalancedBraces, token, "unexpected '}': there is no open section to close",
                        "remove it, or look for a '{' missing earlier");
                    continue;
                case DrbdTokenKind.Semicolon:
                    Take();
                    if (++_emptyStatements > 10)
                    {
                        continue;
                    }
                    _context.Diagnostics.Warning(DrbdCodes.EmptyStatement, _file, token.Line, token.Column,
                        "empty statement (a ';' with nothing before it)", "remove the extra ';' (some drbdadm versions crash on ';;')");
                    continue;
                case DrbdTokenKind.OpenBrace:
                    Take();
                    Error(DrbdCodes.BadShape, token, "expected a keyword before '{'",
                        "a section starts with its keyword, e.g. 'net {'");
                    SkipBody(token);
                    continue;
            }

            var keyword = Take();
            var args = new List<DrbdToken>();
            while (Peek().IsValue)
            {
                var value = Take();
                if (args.Count < MaxValues)
                {
                    args.Add(value);
                }
                else if (args.Count == MaxValues)
                {
                    // Dropped values keep the work per statement bounded; one error says where.
                    Error(DrbdCodes.ExpectedSemicolon, value, $"more than {MaxValues} values after '{keyword.Display}'",
                        "a ';' is probably missing much earlier");
                    args.Add(value);
                }
            }
            if (args.Count > MaxValues)
            {
                args.RemoveAt(args.Count - 1);
            }
            if (keyword.Kind == DrbdTokenKind.Word && keyword.Text == "skip")
            {
                // 'skip' comments out the section that follows, whatever its content (drbd.conf(5)).
                var next = Peek();
                if (next.Kind is DrbdTokenKind.OpenBrace or DrbdTokenKind.Semicolon)
                {
                    Take();
                    if (next.Kind == DrbdTokenKind.OpenBrace)
                    {
                        SkipBody(next);
                    }
                }
                else
                {
                    // '}' or the end: left for the enclosing section.
                    Error(DrbdCodes.BadShape, next, $"expected a section '{{ ... }}' after '{Show(keyword, args)}', found {next.Display}",
                        "'skip' must be followed by the whole section it disables");
                }
                continue;
            }
            if (keyword.Kind == DrbdTokenKind.Word && keyword.Text == "include")
            {
                ParseInclude(keyword, args, depth, into);
                continue;
            }
            if (keyword.Kind == DrbdTokenKind.String)
            {
                Error(DrbdCodes.BadShape, keyword, $"expected a keyword, found the string {keyword.Display}",
                    "a statement starts with an unquoted keyword");
            }

            var end = Peek();
            if (end.Kind == DrbdTokenKind.Semicolon)
            {
                Take();
                into.Add(new DrbdStatement(keyword, args, null));
            }
            else if (end.Kind == DrbdTokenKind.OpenBrace)
            {
                Take();
                if (depth + 1 > MaxNesting)
                {
                    Error(DrbdCodes.NestingTooDeep, end, $"sections nested deeper than {MaxNesting} levels",
                        "drbd.conf needs at most resource > on > volume > disk; look for stray '{'");
                    SkipBody(end);
                    continue;
                }
                var body = new List<DrbdStatement>();
                ParseStatements(body, depth + 1, topOfFile: false);
                var close = Take();
                if (close.Kind != DrbdTokenKind.CloseBrace && !_context.ReportedUnclosed)
                {
                    // Only the innermost: the sections around it are unclosed because of it.
                    _context.ReportedUnclosed = true;
                    Error(DrbdCodes.UnbalancedBraces, end, $"the section '{Show(keyword, args)} {{' is never closed",
                        $"add '}}' to close it (reached {close.Display} at {close.Line}:{close.Column})");
                }
                into.Add(new DrbdStatement(keyword, args, body));
            }
            else
            {
                // '}' or the end of the file right after the values: the ';' is missing. Keep the
                // statement, so that one typo gives one error.
                Error(DrbdCodes.ExpectedSemicolon, end, $"expected ';' after '{Show(keyword, args)}', found {end.Display}",
                    "end every statement with ';'");
                into.Add(new DrbdStatement(keyword, args, null));
            }
        }
    }

    // Skips to the '}' matching an already consumed '{', iteratively, so that any nesting is safe.
    private void SkipBody(DrbdToken open)
    {
        var level = 1;
        while (level > 0)
        {
            var token = Take();
            switch (token.Kind)
            {
                case DrbdTokenKind.OpenBrace:
                    level++;
                    break;
                case DrbdTokenKind.CloseBrace:
                    level--;
                    break;
                case DrbdTokenKind.End:
                    if (!_context.ReportedUnclosed)
                    {
                        _context.ReportedUnclosed = true;
                        Error(DrbdCodes.UnbalancedBraces, open, "this '{' is never closed", "add the matching '}'");
                    }
                    return;
            }
        }
    }

    private void ParseInclude(DrbdToken keyword, List<DrbdToken> args, int depth, List<DrbdStatement> into)
    {
        var end = Peek();
        if (end.Kind == DrbdTokenKind.Semicolon)
        {
            Take();
        }
        else
        {
            Error(DrbdCodes.ExpectedSemicolon, end, $"expected ';' after '{Show(keyword, args)}', found {end.Display}",
                "write: include \"/etc/drbd.d/*.res\";");
            if (end.Kind == DrbdTokenKind.OpenBrace)
            {
                Take();
                SkipBody(end);
            }
        }
        if (args.Count != 1)
        {
            Error(DrbdCodes.BadShape, keyword, $"'include' takes exactly one file name or glob, found {args.Count}",
                "write: include \"/etc/drbd.d/*.res\";");
            return;
        }
        var pattern = args[0].Text;
        if (pattern.Length == 0)
        {
            Error(DrbdCodes.BadShape, args[0], "'include' of an empty file name", "write: include \"/etc/drbd.d/*.res\";");
            return;
        }
        if (_includeDepth + 1 > MaxIncludeDepth)
        {
            Error(DrbdCodes.IncludeTooDeep, keyword, $"includes nested deeper than {MaxIncludeDepth} files",
                "drbdadm stops at 16 levels too; flatten the includes");
            return;
        }
        if (_context.IncludedFiles >= MaxIncludedFiles)
        {
            if (_context.IncludedFiles++ == MaxIncludedFiles)
            {
                Error(DrbdCodes.IncludeTooDeep, keyword, $"more than {MaxIncludedFiles} files included in total",
                    "globs that match files which include the same globs multiply; include each file once");
            }
            return;
        }
        var directory = SafeDirectoryName(_file);
        var full = Path.IsPathRooted(pattern) || directory.Length == 0 ? pattern : directory + "/" + pattern;
        foreach (var path in Expand(full, args[0]))
        {
            var normalized = NormalizePath(path);
            if (_context.Stack.Contains(normalized, StringComparer.Ordinal))
            {
                Error(DrbdCodes.IncludeCycle, args[0], $"'{path}' includes itself (through {string.Join(" -> ", _context.Stack)})",
                    "remove the include that closes the loop");
                continue;
            }
            string? text;
            try
            {
                text = _context.ReadInclude?.Invoke(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidDataException)
            {
                Error(DrbdCodes.CannotRead, args[0], $"cannot read included file '{path}': {ex.Message}", "check the file's permissions");
                continue;
            }
            if (text is null)
            {
                if (!DrbdGlob.HasWildcard(pattern))
                {
                    _context.Diagnostics.Warning(DrbdCodes.IncludeMatchedNothing, _file, args[0].Line, args[0].Column,
                        $"included file '{path}' does not exist; nothing is included",
                        "drbdadm ignores it too; check the path if it was meant to exist");
                }
                continue;
            }
            if (++_context.IncludedFiles > MaxIncludedFiles)
            {
                Error(DrbdCodes.IncludeTooDeep, args[0], $"more than {MaxIncludedFiles} files included in total",
                    "globs that match files which include the same globs multiply; include each file once");
                return;
            }
            _context.Stack.Add(normalized);
            var nested = new DrbdParser(text, path, _context, _includeDepth + 1);
            into.AddRange(nested.ParseFile(depth));
            _context.Stack.RemoveAt(_context.Stack.Count - 1);
        }
    }

    private IEnumerable<string> Expand(string full, DrbdToken where)
    {
        if (!DrbdGlob.HasWildcard(full))
        {
            return [full];
        }
        var slash = full.LastIndexOf('/');
        var directory = slash < 0 ? "." : (slash == 0 ? "/" : full[..slash]);
        var namePattern = full[(slash + 1)..];
        if (DrbdGlob.HasWildcard(directory))
        {
            Error(DrbdCodes.Unsupported, where, $"wildcards in the directory part of '{full}' are not supported",
                "use wildcards only in the file name, e.g. /etc/drbd.d/*.res");
            return [];
        }
        IEnumerable<string>? names = null;
        try
        {
            names = _context.ListDirectory?.Invoke(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidDataException)
        {
            Error(DrbdCodes.CannotRead, where, $"cannot list '{directory}': {ex.Message}", "check the directory's permissions");
            return [];
        }
        var matches = (names ?? [])
            .Where(n => DrbdGlob.IsMatch(namePattern, n))
            .Order(StringComparer.Ordinal)
            .Select(n => directory == "/" ? "/" + n : directory + "/" + n)
            .ToList();
        if (matches.Count == 0)
        {
            _context.Diagnostics.Info(DrbdCodes.IncludeMatchedNothing, _file, where.Line, where.Column,
                $"include \"{where.Text}\" matched no file; nothing is included (as drbdadm)");
        }
        return matches;
    }

    private static string SafeDirectoryName(string file)
    {
        var slash = file.LastIndexOf('/');
        return slash < 0 ? "" : (slash == 0 ? "/" : file[..slash]);
    }

    private static string NormalizePath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return path;
        }
    }

    private static string Show(DrbdToken keyword, List<DrbdToken> args) =>
        new DrbdStatement(keyword, args, null).Show();

    private void Error(string code, DrbdToken at, string message, string hint) =>
        _context.Diagnostics.Error(code, at.File, at.Line, at.Column, message, hint);

    private sealed class Context(DiagnosticBag diagnostics, Func<string, string?>? readInclude, Func<string, IEnumerable<string>?>? listDirectory)
    {
        public DiagnosticBag Diagnostics { get; } = diagnostics;
        public Func<string, string?>? ReadInclude { get; } = readInclude;
        public Func<string, IEnumerable<string>?>? ListDirectory { get; } = listDirectory;
        public List<string> Stack { get; } = [];
        public bool ReportedUnclosed { get; set; }
        public int IncludedFiles { get; set; }
    }
}
