namespace Tandem.Resources.Placement;

/// <summary>A group operation the engine asks the executor to run.</summary>
public enum GroupOperation
{
    /// <summary>Start every resource, in order.</summary>
    Start,

    /// <summary>Stop every resource, in reverse order.</summary>
    Stop,
}
