namespace Tandem.Replication;

/// <summary>What a Primary does when it loses its peer (DRBD's <c>fencing</c>, drbd.md §5.3).</summary>
public enum FencingPolicy
{
    /// <summary>Nothing (the default).</summary>
    DontCare,

    /// <summary>Fence the peer (outdate it through another channel); I/O continues meanwhile.</summary>
    ResourceOnly,

    /// <summary>Fence the peer and freeze I/O until the peer is known outdated or fenced.</summary>
    ResourceAndStonith,
}
