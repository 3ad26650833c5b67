using System.Diagnostics;

namespace Tandem.Lab.Network;

/// <summary>Runs iproute2's <c>ip</c>: namespaces and links are made and removed with it.</summary>
internal static class IpCommand
{
    /// <summary>Runs <c>ip ARGS</c>; returns its exit code (127 when there is no <c>ip</c>) and its output.</summary>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        try
        {
            using var process = Process.Start(psi)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output + error.GetAwaiter().GetResult());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, e.Message);
        }
    }

    /// <summary>Runs <c>ip ARGS</c> and throws when it fails.</summary>
    public static void RunOk(params string[] args)
    {
        var (rc, output) = Run(args);
        if (rc != 0)
        {
            throw new LabException($"`ip {string.Join(' ', args)}` failed (exit {rc}): {output.Trim()}");
        }
    }
}
