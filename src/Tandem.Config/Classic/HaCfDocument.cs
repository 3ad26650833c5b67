using Tandem.Core.Model;

namespace Tandem.Config.Classic;

/// <summary>
/// What <c>ha.cf</c> says: the part of the cluster model it defines, plus the facts the other
/// classic files are checked against.
/// </summary>
/// <param name="Spec">Nodes, timing, links, fencing, ping nodes, failback, logging, respawn and the name.</param>
public sealed record HaCfDocument(ClusterSpec Spec)
{
    /// <summary>The <c>autojoin</c> mode as written (<c>none</c>, <c>other</c> or <c>any</c>).</summary>
    /// <value><c>none</c>.</value>
    public string Autojoin { get; init; } = "none";

    /// <summary>Where <c>autojoin</c> was set: 1-based line and column, or 0 when it was not.</summary>
    public (int Line, int Column) AutojoinAt { get; init; }

    /// <summary>Where <c>auto_failback</c> (or <c>nice_failback</c>) was set, or 0 when it was not.</summary>
    public (int Line, int Column) FailbackAt { get; init; }
}
