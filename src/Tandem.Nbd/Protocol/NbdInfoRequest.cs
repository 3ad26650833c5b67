using System.Buffers.Binary;
using System.Text;

namespace Tandem.Nbd.Protocol;

/// <summary>The data of an NBD_OPT_INFO or NBD_OPT_GO request: an export name and the information asked for.</summary>
/// <param name="ExportName">The export name; empty means the default export.</param>
/// <param name="Requests">The information types asked for (unknown ones are kept and ignored).</param>
public sealed record NbdInfoRequest(string ExportName, IReadOnlyList<ushort> Requests)
{
    /// <summary>Layout (big-endian): u32 name length | name (UTF-8) | u16 count | count × u16 info type.</summary>
    public const int MinimumSize = 6;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses the option data.</summary>
    /// <param name="data">The whole option data.</param>
    /// <param name="request">The request, when valid.</param>
    /// <returns>False when lengths disagree, the name is too long, not UTF-8 or contains NUL (answer NBD_REP_ERR_INVALID).</returns>
    public static bool TryParse(ReadOnlySpan<byte> data, out NbdInfoRequest? request)
    {
        request = null;
        if (data.Length < MinimumSize)
        {
            return false;
        }
        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (nameLength > NbdConstants.MaxStringLength || nameLength > (uint)(data.Length - MinimumSize))
        {
            return false;
        }
        if (!TryDecodeName(data.Slice(4, (int)nameLength), out var name))
        {
            return false;
        }
        var rest = data[(4 + (int)nameLength)..];
        var count = BinaryPrimitives.ReadUInt16BigEndian(rest);
        rest = rest[2..];
        if (rest.Length != count * 2)
        {
            return false;
        }
        var requests = new ushort[count];
        for (var i = 0; i < count; i++)
        {
            requests[i] = BinaryPrimitives.ReadUInt16BigEndian(rest[(i * 2)..]);
        }
        request = new NbdInfoRequest(name, requests);
        return true;
    }

    /// <summary>Decodes an export name: strict UTF-8, no NUL, at most 4096 bytes.</summary>
    /// <param name="bytes">The name bytes.</param>
    /// <param name="name">The name.</param>
    /// <returns>False when invalid.</returns>
    public static bool TryDecodeName(ReadOnlySpan<byte> bytes, out string name)
    {
        name = "";
        if (bytes.Length > NbdConstants.MaxStringLength || bytes.Contains((byte)0))
        {
            return false;
        }
        try
        {
            name = s_strictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Encodes the request (the client side; tests).</summary>
    /// <returns>The option data.</returns>
    public byte[] ToBytes()
    {
        var name = Encoding.UTF8.GetBytes(ExportName);
        var bytes = new byte[4 + name.Length + 2 + (Requests.Count * 2)];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)name.Length);
        name.CopyTo(bytes.AsSpan(4));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4 + name.Length), (ushort)Requests.Count);
        for (var i = 0; i < Requests.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6 + name.Length + (i * 2)), Requests[i]);
        }
        return bytes;
    }
}
