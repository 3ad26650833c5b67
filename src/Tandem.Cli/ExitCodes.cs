namespace Tandem.Cli;

/// <summary>The exit codes of every <c>tandem</c> command.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The configuration is invalid, or the command failed.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>No daemon answers on the run directory.</summary>
    public const int Unreachable = 3;

    /// <summary>The exit-code section of every command's help.</summary>
    internal const string HelpText =
        "Exit codes:\n" +
        "  0  success\n" +
        "  1  invalid configuration, or the command failed\n" +
        "  2  usage error (unknown option, missing value, conflicting options)\n" +
        "  3  no daemon answers on the run directory\n";
}
