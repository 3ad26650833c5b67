namespace Tandem.Resources.Agents;

/// <summary>What one agent action returned.</summary>
/// <param name="Code">The OCF-style result code.</param>
/// <param name="Output">The agent's output (stdout and stderr, trimmed), or a description for built-in agents.</param>
public sealed record AgentResult(AgentCode Code, string Output)
{
    /// <summary>True when the action ran past its timeout and was killed; <see cref="Code"/> is then a generic error.</summary>
    public bool TimedOut { get; init; }

    /// <summary>The exit code the program returned, when a program ran and exited by itself.</summary>
    public int? ExitCode { get; init; }

    /// <summary>True for <see cref="AgentCode.Success"/>.</summary>
    public bool Succeeded => Code == AgentCode.Success;

    /// <summary>True when a monitor result means the resource runs (success, promoted, degraded).</summary>
    public bool IsRunning => Code is AgentCode.Success or AgentCode.RunningPromoted or AgentCode.Degraded or AgentCode.DegradedPromoted;

    /// <summary>A successful result.</summary>
    /// <param name="output">What to report.</param>
    /// <returns>The result.</returns>
    public static AgentResult Ok(string output = "") => new(AgentCode.Success, output);

    /// <summary>A result for an action that ran out of time.</summary>
    /// <param name="action">The action.</param>
    /// <param name="timeout">The limit it exceeded.</param>
    /// <param name="output">What it printed before it was killed.</param>
    /// <returns>The result.</returns>
    public static AgentResult Timeout(string action, TimeSpan timeout, string output = "") =>
        new(AgentCode.GenericError, $"{action} timed out after {timeout.TotalSeconds:0.###} s and was killed" + (output.Length > 0 ? ": " + output : ""))
        {
            TimedOut = true,
        };

    /// <inheritdoc />
    public override string ToString() => $"{Code} ({(int)Code}){(TimedOut ? " timed out" : "")}{(Output.Length > 0 ? ": " + Output : "")}";
}
