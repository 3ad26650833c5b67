using CsCheck;
using Tandem.Fuzz.Targets;
using Tandem.Replication.Protocol;
using Xunit;

namespace Tandem.Replication.Tests.Protocol;

public sealed class FrameFuzzSmokeTests
{
    [Fact]
    public void Replication_frame_target_survives_random_and_mutated_valid_frames()
    {
        var target = new ReplicationFrameFuzzTarget();
        Assert.Equal("replication-frame", target.Name);
        Gen.Byte.Array[0, 300].Sample(bytes => target.Run(bytes), iter: 2000);
        var types = Enum.GetValues<FrameType>();
        Gen.Select(Gen.Int[0, types.Length - 1], Gen.Byte.Array[0, 200]).Sample((t, body) =>
        {
            var frame = new byte[FrameHeader.Size + body.Length];
            new FrameHeader(types[t], body.Length).Format(frame);
            body.CopyTo(frame, FrameHeader.Size);
            target.Run(frame);
        }, iter: 5000);
    }
}
