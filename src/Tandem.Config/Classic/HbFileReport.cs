namespace Tandem.Config.Classic;

/// <summary>
/// The diagnostics of one file. It caps the number of errors so that a file of garbage cannot
/// flood the output (or a fuzzer's memory): after <see cref="MaxErrors"/> errors it adds one last
/// error and ignores the rest.
/// </summary>
internal sealed class HbFileReport
{
    /// <summary>The number of errors reported before the reader gives up on a file.</summary>
    public const int MaxErrors = 50;

    private readonly DiagnosticBag _bag;
    private readonly string _tooManyCode;
    private int _errors;
    private int _notes;

    /// <summary>The number of warnings and notes reported before further ones are dropped.</summary>
    public const int MaxNotes = 200;

    public HbFileReport(DiagnosticBag bag, string file, string tooManyCode)
    {
        _bag = bag;
        File = file;
        _tooManyCode = tooManyCode;
    }

    /// <summary>The file the findings are about.</summary>
    public string File { get; }

    /// <summary>True once the error cap was reached: readers stop reading the file.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The number of errors reported for this file.</summary>
    public int ErrorCount => _errors;

    public void Error(string code, int line, int column, string message, string? hint = null)
    {
        if (Stopped)
        {
            return;
        }
        if (_errors == MaxErrors)
        {
            Stopped = true;
            _bag.Error(_tooManyCode, File, line, 0, $"too many errors ({MaxErrors}); the rest of the file was not read",
                "is this the right file? Fix the errors above and read it again");
            return;
        }
        _errors++;
        _bag.Error(code, File, line, column, message, hint);
    }

    public void Warning(string code, int line, int column, string message, string? hint = null)
    {
        if (Note())
        {
            _bag.Warning(code, File, line, column, message, hint);
        }
    }

    public void Info(string code, int line, int column, string message)
    {
        if (Note())
        {
            _bag.Info(code, File, line, column, message);
        }
    }

    private bool Note()
    {
        if (Stopped || _notes > MaxNotes)
        {
            return false;
        }
        if (++_notes > MaxNotes)
        {
            _bag.Info(_tooManyCode, File, 0, 0, $"more than {MaxNotes} warnings and notes; the rest are not shown");
            return false;
        }
        return true;
    }
}
