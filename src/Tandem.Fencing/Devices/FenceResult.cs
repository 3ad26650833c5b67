namespace Tandem.Fencing.Devices;

/// <summary>The outcome of one fencing attempt.</summary>
/// <param name="Success">True when the node is known to be off (or reset).</param>
/// <param name="Device">The device that ran.</param>
/// <param name="Detail">What happened, in an operator's words (never a password).</param>
public sealed record FenceResult(bool Success, string Device, string Detail)
{
    /// <summary>A success.</summary>
    /// <param name="device">The device.</param>
    /// <param name="detail">What happened.</param>
    /// <returns>The result.</returns>
    public static FenceResult Ok(string device, string detail) => new(true, device, detail);

    /// <summary>A failure.</summary>
    /// <param name="device">The device.</param>
    /// <param name="detail">Why.</param>
    /// <returns>The result.</returns>
    public static FenceResult Failed(string device, string detail) => new(false, device, detail);
}
