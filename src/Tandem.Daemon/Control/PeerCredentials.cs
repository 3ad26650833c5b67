using System.Buffers.Binary;
using System.Net.Sockets;
using Tandem.Core.Os;

namespace Tandem.Daemon.Control;

/// <summary>Who is at the other end of a Unix socket, as the kernel reports it (SO_PEERCRED).</summary>
/// <param name="Pid">The peer's process id at connect time.</param>
/// <param name="Uid">The peer's effective user id.</param>
/// <param name="Gid">The peer's effective group id.</param>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    // struct ucred { pid_t pid; uid_t uid; gid_t gid; } : three 32-bit fields in host order.
    private const int UcredSize = 12;

    /// <summary>The effective user id of this process.</summary>
    public static uint CurrentUid { get; } = LibC.GetEffectiveUserId();

    /// <summary>The default policy: root, and the user the daemon runs as.</summary>
    /// <param name="peer">The peer.</param>
    /// <returns>True when the peer may use the control API.</returns>
    public static bool IsRootOrSelf(PeerCredentials peer) => peer.Uid == 0 || peer.Uid == CurrentUid;

    /// <summary>Reads the credentials of a connected Unix socket's peer.</summary>
    /// <param name="socket">The accepted socket.</param>
    /// <param name="credentials">The peer's credentials.</param>
    /// <returns>False when the kernel did not report them (not a Unix socket).</returns>
    public static bool TryGet(Socket socket, out PeerCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> buffer = stackalloc byte[UcredSize];
        try
        {
            if (socket.GetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_PEERCRED, buffer) < UcredSize)
            {
                credentials = default;
                return false;
            }
        }
        catch (SocketException)
        {
            credentials = default;
            return false;
        }
        credentials = BitConverter.IsLittleEndian
            ? new PeerCredentials(BinaryPrimitives.ReadInt32LittleEndian(buffer), BinaryPrimitives.ReadUInt32LittleEndian(buffer[4..]), BinaryPrimitives.ReadUInt32LittleEndian(buffer[8..]))
            : new PeerCredentials(BinaryPrimitives.ReadInt32BigEndian(buffer), BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]), BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]));
        return true;
    }
}
