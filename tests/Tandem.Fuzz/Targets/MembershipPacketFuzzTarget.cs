using Tandem.Core.Model;
using Tandem.Membership.Wire;

namespace Tandem.Fuzz.Targets;

/// <summary>
/// The membership packet decoder: any bytes must be rejected with a reason or accepted, never
/// throw. The input is decoded raw, and also signed as a payload so that the paths after the MAC
/// (replay window, heartbeat payload) see arbitrary contents too.
/// </summary>
public sealed class MembershipPacketFuzzTarget : IFuzzTarget
{
    private static readonly AuthSpec s_auth = new(1, [new AuthKey(1, AuthMethod.Sha256, "fuzz"), new AuthKey(2, AuthMethod.Md5, "old")]);
    private static readonly PacketCodec s_receiver = new("fuzz", ["alpha", "beta"], "beta", new PacketAuthenticator(s_auth));
    private static readonly PacketCodec s_sender = new("fuzz", ["alpha", "beta"], "alpha", new PacketAuthenticator(s_auth));

    /// <inheritdoc/>
    public string Name => "membership-packet";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        var window = new ReplayWindow();
        if (s_receiver.TryDecode(input, out var raw) == RejectReason.None)
        {
            _ = window.Check(raw.Header.Generation, raw.Header.Sequence);
            _ = HeartbeatPayload.TryRead(raw.Payload(input), out _);
        }

        var payload = input.Length > PacketCodec.MaxPayloadSize ? input[..PacketCodec.MaxPayloadSize] : input;
        var buffer = new byte[s_sender.PacketSize(payload.Length)];
        var seq = input.Length > 0 ? input[0] : 1UL;
        var n = s_sender.Encode(PacketType.Heartbeat, 1, seq, payload, buffer);
        if (s_receiver.TryDecode(buffer.AsSpan(0, n), out var signed) != RejectReason.None)
        {
            throw new InvalidOperationException("a packet signed with the active key was rejected");
        }
        _ = window.Check(signed.Header.Generation, signed.Header.Sequence);
        _ = HeartbeatPayload.TryRead(signed.Payload(buffer), out _);
    }
}
