namespace Tandem.Cli;

/// <summary>Entry point of the <c>tandem</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The exit code.</returns>
    public static Task<int> Main(string[] args) => Task.FromResult(args.Length == 0 ? 0 : 1);
}
