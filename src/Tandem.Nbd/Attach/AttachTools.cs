using Tandem.Core.Os;

namespace Tandem.Nbd.Attach;

/// <summary>The system tools of an attach (nbd-client, losetup, nsenter), run through the one process runner of Core.</summary>
internal static class AttachTools
{
    public readonly record struct Result(int ExitCode, string Output, string Error)
    {
        public bool Ok => ExitCode == 0;

        public override string ToString() => $"exit {ExitCode}: {Error.Trim()} {Output.Trim()}".Trim();
    }

    /// <summary>Runs a tool to its end; its output and error are kept apart (losetup --show prints the device).</summary>
    /// <exception cref="AttachException">It could not start, or did not finish within the timeout (it is killed).</exception>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new ProcessRequest(file, [.. arguments], timeout) { SeparateErrorOutput = true };
        var outcome = await ChildProcessRunner.Default.RunAsync(request, cancellationToken).ConfigureAwait(false);
        if (outcome.StartError is not null)
        {
            throw new AttachException($"could not start {file}: {outcome.StartError}");
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (outcome.ExitCode is not { } code)
        {
            throw new AttachException($"{file} {string.Join(' ', request.Arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return new Result(code, outcome.Output, outcome.Error);
    }
}
