using CsCheck;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Tests;

/// <summary>Property tests of the request and option parsers against simple models.</summary>
public sealed class ParserPropertyTests
{
    private static readonly Gen<NbdRequestHeader> s_header =
        Gen.Select(Gen.UShort, Gen.UShort[0, 10], Gen.ULong, Gen.OneOf(Gen.ULong[0, 1 << 30], Gen.ULong), Gen.OneOf(Gen.UInt[0, 1 << 26], Gen.UInt))
            .Select((f, c, cookie, o, l) => new NbdRequestHeader((NbdCommandFlags)f, (NbdCommand)c, cookie, o, l));

    private static readonly Gen<NbdExportLimits> s_limits =
        Gen.Select(Gen.Long[1, 1L << 40], Gen.UShort, Gen.OneOf(Gen.Const(1), Gen.Const(512), Gen.Const(4096)), Gen.Bool)
            .Select((size, flags, min, structured) => new NbdExportLimits(size, (NbdTransmissionFlags)flags | NbdTransmissionFlags.HasFlags, min, NbdConstants.MaxPayload, structured));

    [Fact]
    public void Request_headers_round_trip()
    {
        s_header.Sample(header =>
        {
            var bytes = new byte[NbdRequestHeader.Size];
            header.Format(bytes);
            return NbdRequestHeader.TryParse(bytes, out var parsed) && parsed == header;
        });
    }

    [Fact]
    public void Any_bytes_parse_or_are_refused_without_throwing()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var ok = NbdRequestHeader.TryParse(bytes, out _);
            var magic = bytes.Length >= 4 && bytes[0] == 0x25 && bytes[1] == 0x60 && bytes[2] == 0x95 && bytes[3] == 0x13;
            Assert.Equal(bytes.Length >= NbdRequestHeader.Size && magic, ok);
            NbdOptionHeader.TryParse(bytes, out _);
            NbdInfoRequest.TryParse(bytes, out _);
        });
    }

    [Fact]
    public void Validation_agrees_with_the_model()
    {
        Gen.Select(s_header, s_limits).Sample((header, limits) => Assert.Equal(Model(header, limits), NbdRequestValidator.Validate(header, limits)));
    }

    [Fact]
    public void Accepted_requests_stay_inside_the_export()
    {
        Gen.Select(s_header, s_limits).Sample((header, limits) =>
        {
            if (NbdRequestValidator.Validate(header, limits) != NbdError.None
                || header.Command is NbdCommand.Flush or NbdCommand.Disconnect)
            {
                return;
            }
            Assert.True(header.Length > 0);
            Assert.True((System.Numerics.BigInteger)header.Offset + header.Length <= limits.Size);
        });
    }

    [Fact]
    public void Info_requests_round_trip()
    {
        var name = Gen.Char['a', 'z'].Array[0, 300].Select(c => new string(c));
        Gen.Select(name, Gen.UShort.Array[0, 20]).Sample((n, requests) =>
        {
            var bytes = new NbdInfoRequest(n, requests).ToBytes();
            Assert.True(NbdInfoRequest.TryParse(bytes, out var parsed));
            Assert.Equal(n, parsed!.ExportName);
            Assert.Equal(requests, parsed.Requests);
            // Any truncation or extension breaks the length bookkeeping and is refused.
            Assert.False(NbdInfoRequest.TryParse(bytes.AsSpan(0, bytes.Length - 1), out _));
            Assert.False(NbdInfoRequest.TryParse([.. bytes, 0], out _));
        });
    }

    /// <summary>The protocol's rules, written independently of the validator (drbd.md §12).</summary>
    private static NbdError Model(NbdRequestHeader r, NbdExportLimits l)
    {
        var known = r.Command is NbdCommand.Read or NbdCommand.Write or NbdCommand.Disconnect or NbdCommand.Flush
            or NbdCommand.Trim or NbdCommand.Cache or NbdCommand.WriteZeroes;
        if (!known)
        {
            return NbdError.Invalid;
        }
        var allowed = NbdCommandFlags.Fua;
        if (r.Command == NbdCommand.Read && l.StructuredReplies)
        {
            allowed |= NbdCommandFlags.DontFragment;
        }
        if (r.Command == NbdCommand.WriteZeroes)
        {
            allowed |= NbdCommandFlags.NoHole;
            if (l.Flags.HasFlag(NbdTransmissionFlags.SendFastZero))
            {
                allowed |= NbdCommandFlags.FastZero;
            }
        }
        if ((r.Flags & ~allowed) != 0 || (r.Flags.HasFlag(NbdCommandFlags.Fua) && !l.Flags.HasFlag(NbdTransmissionFlags.SendFua)))
        {
            return NbdError.Invalid;
        }
        if (r.Command is NbdCommand.Flush or NbdCommand.Disconnect)
        {
            return NbdError.None;
        }
        if (r.Length == 0)
        {
            return NbdError.Invalid;
        }
        if (r.Command is NbdCommand.Read or NbdCommand.Write && r.Length > l.MaxPayload)
        {
            return NbdError.Overflow;
        }
        var writes = r.Command is NbdCommand.Write or NbdCommand.WriteZeroes or NbdCommand.Trim;
        if (writes && l.Flags.HasFlag(NbdTransmissionFlags.ReadOnly))
        {
            return NbdError.Perm;
        }
        if (r.Offset % (ulong)l.MinimumBlockSize != 0 || r.Length % (ulong)l.MinimumBlockSize != 0)
        {
            return NbdError.Invalid;
        }
        if ((System.Numerics.BigInteger)r.Offset + r.Length > l.Size)
        {
            return r.Command is NbdCommand.Write or NbdCommand.WriteZeroes ? NbdError.NoSpace : NbdError.Invalid;
        }
        return NbdError.None;
    }
}
