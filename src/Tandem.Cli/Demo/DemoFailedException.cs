namespace Tandem.Cli.Demo;

/// <summary>A step of the demo did not happen; the message says which.</summary>
internal sealed class DemoFailedException(string message) : Exception(message);
