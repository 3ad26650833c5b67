using System.Diagnostics;

namespace Tandem.Resources.Tests.Support;

/// <summary>Runs setup commands for tests.</summary>
public static class Sh
{
    public static bool IsRoot => Environment.UserName == "root";

    public static (int Code, string Output) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    public static string Must(string program, params string[] args)
    {
        var (code, output) = Run(program, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({code}): {output}");
        }
        return output.Trim();
    }

    /// <summary>True when the process is gone or a zombie (PID 1 reaps orphans lazily here).</summary>
    public static bool IsDead(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
