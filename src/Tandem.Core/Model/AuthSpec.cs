namespace Tandem.Core.Model;

/// <summary>The message authentication keys (Heartbeat's <c>authkeys</c>).</summary>
/// <param name="ActiveIndex">The key index that signs outgoing messages.</param>
/// <param name="Keys">Every key accepted on receive, by index (0 to 15).</param>
public sealed record AuthSpec(int ActiveIndex, IReadOnlyList<AuthKey> Keys)
{
    /// <summary>
    /// True when an unkeyed method (<c>crc</c>) was explicitly allowed; without it such keys are refused.
    /// </summary>
    public bool AllowInsecure { get; init; }

    /// <summary>The key that signs outgoing messages.</summary>
    public AuthKey Active => Keys.First(k => k.Index == ActiveIndex);
}

/// <summary>One authentication key.</summary>
/// <param name="Index">The key index, 0 to 15; it travels with each packet.</param>
/// <param name="Method">The MAC algorithm.</param>
/// <param name="Secret">The shared secret; empty for <see cref="AuthMethod.Crc"/>.</param>
public sealed record AuthKey(int Index, AuthMethod Method, string Secret)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Index} {Method.ToString().ToLowerInvariant()} (secret hidden)";
}

/// <summary>Message authentication algorithms.</summary>
public enum AuthMethod
{
    /// <summary>Unkeyed CRC-32: detects corruption, authenticates nothing.</summary>
    Crc,
    /// <summary>HMAC-MD5, for compatibility with Heartbeat.</summary>
    Md5,
    /// <summary>HMAC-SHA1, for compatibility with Heartbeat.</summary>
    Sha1,
    /// <summary>HMAC-SHA256, for new clusters.</summary>
    Sha256,
    /// <summary>HMAC-SHA512, for new clusters.</summary>
    Sha512,
}
