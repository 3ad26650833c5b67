using CsCheck;
using Tandem.Fuzz;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Tests;

/// <summary>The NBD fuzz targets run on generated, mostly well-formed streams without finding anything.</summary>
public sealed class FuzzTargetSmokeTests
{
    [Fact]
    public void Nbd_request_target_accepts_generated_request_streams()
    {
        var target = FuzzTargets.All["nbd-request"];
        var request = Gen.Select(Gen.UShort[0, 31], Gen.UShort[0, 9], Gen.ULong, Gen.OneOf(Gen.ULong[0, 1 << 28], Gen.ULong), Gen.UInt[0, 70000])
            .Select((f, c, cookie, o, l) =>
            {
                var header = new NbdRequestHeader((NbdCommandFlags)f, (NbdCommand)c, cookie, o, l);
                var bytes = new byte[NbdRequestHeader.Size + (header.Command == NbdCommand.Write ? (int)l : 0)];
                header.Format(bytes);
                return bytes;
            });
        request.Array[0, 8].Select(parts => parts.SelectMany(p => p).ToArray()).Sample(stream => target.Run(stream), iter: 300);
        Gen.Byte.Array[0, 200].Sample(bytes => target.Run(bytes));
    }

    [Fact]
    public void Nbd_option_target_accepts_generated_option_streams()
    {
        var target = FuzzTargets.All["nbd-option"];
        var option = Gen.Select(Gen.UInt[0, 12], Gen.Byte.Array[0, 64], Gen.Bool, Gen.Char['a', 'z'].Array[0, 20], Gen.UShort.Array[0, 4])
            .Select((code, junk, wellFormed, name, infos) =>
            {
                var data = wellFormed ? new NbdInfoRequest(new string(name), infos).ToBytes() : junk;
                var bytes = new byte[NbdOptionHeader.Size + data.Length];
                new NbdOptionHeader(code, (uint)data.Length).Format(bytes);
                data.CopyTo(bytes, NbdOptionHeader.Size);
                return bytes;
            });
        option.Array[0, 8].Select(parts => parts.SelectMany(p => p).ToArray()).Sample(stream => target.Run(stream));
        Gen.Byte.Array[0, 200].Sample(bytes => target.Run(bytes));
    }
}
