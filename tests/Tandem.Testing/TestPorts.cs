using System.Net;
using System.Net.Sockets;

namespace Tandem.Testing;

/// <summary>TCP ports on loopback for servers a test starts itself.</summary>
public static class TestPorts
{
    // Below the kernel's ephemeral range (32768 and up): a port found by binding port 0 and then
    // released can be taken again by any outgoing connection, or handed to a concurrent test,
    // before the server listens on it ("Address already in use" in parallel runs). Each process
    // starts at its own offset and never hands a port out twice.
    private static int _next = 20000 + (Environment.ProcessId % 200 * 60);

    /// <summary>A port free on 127.0.0.1 now that no other caller in this process gets.</summary>
    public static int Next()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref _next);
            if (port >= 32768)
            {
                throw new InvalidOperationException("test ports below the ephemeral range are used up");
            }
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken by someone else: the next one.
            }
        }
    }
}
