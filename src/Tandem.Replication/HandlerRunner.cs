using Tandem.Core.Os;

namespace Tandem.Replication;

/// <summary>
/// Runs a DRBD-style handler command (<c>fence-peer</c>, <c>local-io-error</c>) with
/// <c>/bin/sh -c</c> and the DRBD environment (DRBD_RESOURCE, DRBD_PEER, DRBD_PEERS,
/// DRBD_PEER_ADDRESS, DRBD_PEER_AF), so that existing scripts keep working.
/// </summary>
internal static class HandlerRunner
{
    /// <summary>Runs the command and returns its exit code; null when it could not start or ran past the timeout (it is killed).</summary>
    public static async Task<int?> RunAsync(string command, ReplicatedVolumeOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var peer = options.PeerName ?? options.Peer.Address.ToString();
        var request = new ProcessRequest("/bin/sh", ["-c", command], timeout)
        {
            Environment = new Dictionary<string, string>
            {
                ["DRBD_RESOURCE"] = options.Resource,
                ["DRBD_PEER"] = peer,
                ["DRBD_PEERS"] = peer,
                ["DRBD_PEER_ADDRESS"] = options.Peer.Address.ToString(),
                ["DRBD_PEER_AF"] = options.Peer.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4",
                ["TANDEM_NODE"] = options.NodeName,
            },
            // A handler's messages go where the daemon's go, as under drbdadm.
            CaptureOutput = false,
        };
        var outcome = await ChildProcessRunner.Default.RunAsync(request, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return outcome.ExitCode;
    }
}
