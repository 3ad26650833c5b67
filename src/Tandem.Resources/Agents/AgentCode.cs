namespace Tandem.Resources.Agents;

/// <summary>The outcome of an agent action, in OCF exit-code terms (the OCF resource agent API, §7.4).</summary>
public enum AgentCode
{
    /// <summary>0: the action succeeded; for monitor, the resource runs.</summary>
    Success = 0,
    /// <summary>1: generic error; for monitor, the resource failed.</summary>
    GenericError = 1,
    /// <summary>2: the parameters are invalid on this host.</summary>
    InvalidArguments = 2,
    /// <summary>3: the agent does not implement the action.</summary>
    Unimplemented = 3,
    /// <summary>4: insufficient privilege.</summary>
    InsufficientPrivileges = 4,
    /// <summary>5: software the agent needs is missing on this host.</summary>
    NotInstalled = 5,
    /// <summary>6: the parameters are inherently invalid (the resource cannot run anywhere).</summary>
    NotConfigured = 6,
    /// <summary>7: the resource is cleanly stopped (monitor only).</summary>
    NotRunning = 7,
    /// <summary>8: running in the promoted role.</summary>
    RunningPromoted = 8,
    /// <summary>9: failed in the promoted role.</summary>
    FailedPromoted = 9,
    /// <summary>190: running, degraded (treated as running).</summary>
    Degraded = 190,
    /// <summary>191: promoted, degraded (treated as running promoted).</summary>
    DegradedPromoted = 191,
}
