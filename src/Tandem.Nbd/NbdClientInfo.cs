namespace Tandem.Nbd;

/// <summary>One connected client, for status.</summary>
/// <param name="Id">Connection number within the server, from 1.</param>
/// <param name="Remote">Where it came from (<c>unix</c> or an IP endpoint).</param>
/// <param name="ConnectedAt">When it connected.</param>
/// <param name="Export">The export it chose, or null while negotiating.</param>
/// <param name="StructuredReplies">Whether it negotiated structured replies.</param>
public sealed record NbdClientInfo(long Id, string Remote, DateTimeOffset ConnectedAt, string? Export, bool StructuredReplies);
