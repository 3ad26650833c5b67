using System.Net;
using System.Net.Sockets;

namespace Tandem.Membership.Ping;

/// <summary>
/// A probe for hosts where ICMP is not permitted: a TCP connection attempt to a port. An accepted
/// connection or a refusal (RST) both prove the host reachable; only silence counts as down.
/// </summary>
/// <param name="port">The TCP port to try.</param>
public sealed class TcpConnectProbe(int port) : IConnectivityProbe
{
    /// <summary>The TCP port tried.</summary>
    public int Port { get; } = port;

    /// <inheritdoc/>
    public async Task<bool> ProbeAsync(IPAddress address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, Port), cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
