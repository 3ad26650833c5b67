namespace Tandem.Membership;

/// <summary>The state of one link to one peer.</summary>
public enum LinkStatus : byte
{
    /// <summary>Nothing received on this link from this peer yet.</summary>
    Init = 1,
    /// <summary>Heartbeats arrive on it.</summary>
    Up = 2,
    /// <summary>Silent for deadtime.</summary>
    Dead = 3,
}
