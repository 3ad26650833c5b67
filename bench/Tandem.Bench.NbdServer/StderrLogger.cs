using Microsoft.Extensions.Logging;

namespace Tandem.Bench.NbdServer;

/// <summary>Writes log lines to stderr when TANDEM_NBD_DEBUG is set; the benchmark runs without it.</summary>
internal sealed class StderrLogger : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Console.Error.WriteLine($"{logLevel} {eventId.Id} {formatter(state, exception)} {exception}");
}
