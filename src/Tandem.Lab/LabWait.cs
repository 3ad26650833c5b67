using System.Globalization;

namespace Tandem.Lab;

/// <summary>Deadlines that name what was awaited when they expire.</summary>
public static class LabWait
{
    /// <summary>Waits for <paramref name="task"/> until <paramref name="timeout"/>.</summary>
    /// <param name="task">What is awaited.</param>
    /// <param name="timeout">The deadline, from now.</param>
    /// <param name="what">What is awaited, as a phrase for the failure message.</param>
    /// <param name="cancellationToken">Aborts the wait (an interruption, not a timeout).</param>
    /// <returns>A task that completes with <paramref name="task"/>.</returns>
    /// <exception cref="LabTimeoutException">The deadline passed first.</exception>
    public static async Task WithinAsync(this Task task, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new LabTimeoutException(what, timeout, null);
        }
    }

    /// <summary>Waits for <paramref name="task"/> until <paramref name="timeout"/>.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="task">What is awaited.</param>
    /// <param name="timeout">The deadline, from now.</param>
    /// <param name="what">What is awaited, as a phrase for the failure message.</param>
    /// <param name="cancellationToken">Aborts the wait (an interruption, not a timeout).</param>
    /// <returns>The task's result.</returns>
    /// <exception cref="LabTimeoutException">The deadline passed first.</exception>
    public static async Task<T> WithinAsync<T>(this Task<T> task, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            return await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new LabTimeoutException(what, timeout, null);
        }
    }

    /// <summary>The sentence of an expired wait: "waited 30 s for WHAT, in vain".</summary>
    /// <param name="what">What was awaited.</param>
    /// <param name="timeout">How long.</param>
    /// <returns>The sentence.</returns>
    public static string Describe(string what, TimeSpan timeout) =>
        string.Create(CultureInfo.InvariantCulture, $"waited {timeout.TotalSeconds:0.#} s for {what}, in vain");
}
