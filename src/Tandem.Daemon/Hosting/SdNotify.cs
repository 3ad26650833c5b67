using System.Net.Sockets;
using System.Text;

namespace Tandem.Daemon.Hosting;

/// <summary>
/// sd_notify(3): tells systemd (or any supervisor that sets <c>NOTIFY_SOCKET</c>) that the daemon
/// is ready or stopping, with a status line for <c>systemctl status</c>.
/// </summary>
internal sealed class SdNotify
{
    private readonly string? _socketPath;

    /// <summary>Creates the notifier.</summary>
    /// <param name="socketPath">The notify socket; a leading <c>@</c> names an abstract socket; null or empty disables.</param>
    public SdNotify(string? socketPath)
    {
        _socketPath = string.IsNullOrEmpty(socketPath) ? null : socketPath;
    }

    /// <summary>True when a notify socket is configured.</summary>
    public bool IsEnabled => _socketPath is not null;

    /// <summary>Sends one notification (newline-separated <c>KEY=VALUE</c> assignments).</summary>
    /// <param name="state">For example <c>READY=1\nSTATUS=running</c>.</param>
    /// <returns>False when disabled or when the socket could not be reached.</returns>
    public bool TryNotify(string state)
    {
        if (_socketPath is null)
        {
            return false;
        }
        var path = _socketPath[0] == '@' ? "\0" + _socketPath[1..] : _socketPath;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false; // no supervisor listening is not a reason to fail the daemon
        }
    }
}
