namespace Tandem.Lab.Processes;

/// <summary>
/// How to run the <c>tandem</c> program: its file and the arguments that come before tandem's own
/// (<c>dotnet tandem.dll</c> when it runs as a managed assembly).
/// </summary>
/// <param name="FileName">The program to execute.</param>
/// <param name="Prefix">Arguments before tandem's own, such as the path of tandem.dll.</param>
public sealed record TandemCommand(string FileName, IReadOnlyList<string> Prefix)
{
    /// <summary><c>dotnet ASSEMBLY</c>, with the dotnet host that runs this process when there is one.</summary>
    /// <param name="assemblyPath">The path of tandem.dll.</param>
    /// <returns>The command.</returns>
    public static TandemCommand FromAssembly(string assemblyPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(assemblyPath);
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
            : "dotnet";
        return new TandemCommand(host, [assemblyPath]);
    }

    /// <summary>
    /// This very program again: its executable (the apphost <c>tandem</c>), or <c>dotnet
    /// ENTRYASSEMBLY</c> when it was started that way.
    /// </summary>
    /// <param name="entryAssemblyPath">The location of the program's entry assembly (tandem.dll).</param>
    /// <returns>The command.</returns>
    /// <exception cref="LabException">The path of this process cannot be told.</exception>
    public static TandemCommand CurrentProcess(string entryAssemblyPath)
    {
        var self = Environment.ProcessPath ?? throw new LabException("cannot tell which program this is (no process path) to start it again");
        return Path.GetFileNameWithoutExtension(self) == "dotnet" ? new TandemCommand(self, [entryAssemblyPath]) : new TandemCommand(self, []);
    }

    /// <summary>The whole command line: the file, the prefix, then <paramref name="arguments"/>.</summary>
    /// <param name="arguments">tandem's arguments, such as <c>daemon --node alpha</c>.</param>
    /// <returns>The command line, file first.</returns>
    public IReadOnlyList<string> CommandLine(IEnumerable<string> arguments) => [FileName, .. Prefix, .. arguments];
}
