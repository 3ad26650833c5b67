using Xunit;

namespace Tandem.Testing;

/// <summary>Deadlines that name what was awaited when they expire.</summary>
public static class Deadline
{
    public static async Task WithinAsync(this Task task, TimeSpan timeout, string what)
    {
        try
        {
            await task.WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"waited {timeout.TotalSeconds:0.#} s for {what}, in vain");
        }
    }

    public static async Task<T> WithinAsync<T>(this Task<T> task, TimeSpan timeout, string what)
    {
        try
        {
            return await task.WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"waited {timeout.TotalSeconds:0.#} s for {what}, in vain");
        }
    }
}
