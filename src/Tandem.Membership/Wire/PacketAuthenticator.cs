using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Tandem.Core.Model;

namespace Tandem.Membership.Wire;

/// <summary>
/// Computes and verifies packet MACs with the authkeys keys. Every configured index is accepted on
/// receive, each with its own key (Heartbeat verified other indexes with the active key, which made
/// rotation work only when keys were equal); the active index signs.
/// </summary>
public sealed class PacketAuthenticator
{
    /// <summary>The longest MAC of any method (HMAC-SHA512).</summary>
    public const int MaxMacLength = 64;

    private readonly (AuthMethod Method, byte[] Key)?[] _keys = new (AuthMethod, byte[])?[16];

    /// <summary>Creates an authenticator from the cluster's keys.</summary>
    /// <param name="auth">The keys; the active index signs.</param>
    /// <exception cref="ArgumentException">A key index is outside 0-15, the active index has no key,
    /// or a <c>crc</c> key is configured without <see cref="AuthSpec.AllowInsecure"/>.</exception>
    public PacketAuthenticator(AuthSpec auth)
    {
        ArgumentNullException.ThrowIfNull(auth);
        foreach (var key in auth.Keys)
        {
            if (key.Index is < 0 or > 15)
            {
                throw new ArgumentException($"auth key index {key.Index} is outside 0-15", nameof(auth));
            }
            if (key.Method == AuthMethod.Crc && !auth.AllowInsecure)
            {
                throw new ArgumentException(
                    $"auth key {key.Index} uses crc, which authenticates nothing; allow it explicitly or use sha256", nameof(auth));
            }
            _keys[key.Index] = (key.Method, Encoding.UTF8.GetBytes(key.Secret));
        }
        if (auth.ActiveIndex is < 0 or > 15 || _keys[auth.ActiveIndex] is null)
        {
            throw new ArgumentException($"the active auth index {auth.ActiveIndex} has no key", nameof(auth));
        }
        ActiveIndex = (byte)auth.ActiveIndex;
    }

    /// <summary>The index that signs outgoing packets.</summary>
    public byte ActiveIndex { get; }

    /// <summary>The MAC length of the key at <paramref name="index"/>, or -1 when the index has no key.</summary>
    /// <param name="index">The key index from a packet.</param>
    /// <returns>The length in bytes, or -1.</returns>
    public int MacLength(int index) =>
        index is < 0 or > 15 || _keys[index] is not { } k ? -1 : MacLength(k.Method);

    /// <summary>The MAC length of a method.</summary>
    /// <param name="method">The method.</param>
    /// <returns>The length in bytes.</returns>
    public static int MacLength(AuthMethod method) => method switch
    {
        AuthMethod.Crc => 4,
        AuthMethod.Md5 => 16,
        AuthMethod.Sha1 => 20,
        AuthMethod.Sha256 => 32,
        AuthMethod.Sha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>Computes the MAC of <paramref name="data"/> with the key at <paramref name="index"/>.</summary>
    /// <param name="index">A configured key index.</param>
    /// <param name="data">The authenticated bytes.</param>
    /// <param name="destination">Receives exactly <see cref="MacLength(int)"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public int Compute(int index, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var (method, key) = _keys[index] ?? throw new ArgumentOutOfRangeException(nameof(index));
        switch (method)
        {
            case AuthMethod.Crc:
                BinaryPrimitives.WriteUInt32BigEndian(destination, System.IO.Hashing.Crc32.HashToUInt32(data));
                return 4;
            case AuthMethod.Md5:
                return HMACMD5.HashData(key, data, destination);
            case AuthMethod.Sha1:
                return HMACSHA1.HashData(key, data, destination);
            case AuthMethod.Sha256:
                return HMACSHA256.HashData(key, data, destination);
            case AuthMethod.Sha512:
                return HMACSHA512.HashData(key, data, destination);
            default:
                throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    /// <summary>Checks a MAC in constant time.</summary>
    /// <param name="index">A configured key index.</param>
    /// <param name="data">The authenticated bytes.</param>
    /// <param name="mac">The MAC from the packet.</param>
    /// <returns>True when it matches.</returns>
    public bool Verify(int index, ReadOnlySpan<byte> data, ReadOnlySpan<byte> mac)
    {
        Span<byte> expected = stackalloc byte[MaxMacLength];
        var n = Compute(index, data, expected);
        return n == mac.Length && CryptographicOperations.FixedTimeEquals(expected[..n], mac);
    }
}
