using System.Net;
using System.Net.Sockets;

namespace Tandem.Replication.Tests.Support;

internal static class Loopback
{
    /// <summary>Two ends of a real TCP connection on 127.0.0.1 (ephemeral port).</summary>
    public static async Task<(NetworkStream A, NetworkStream B)> PairAsync(CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        var connect = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, ct).AsTask();
        var server = await listener.AcceptTcpClientAsync(ct);
        await connect;
        return (client.GetStream(), server.GetStream());
    }
}
