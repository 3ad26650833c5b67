namespace Tandem.Membership;

/// <summary>One ping node.</summary>
/// <param name="Name">Its name or address.</param>
/// <param name="Status">up or dead.</param>
public sealed record PingSnapshot(
    string Name,
    string Status);
